package mqtttest

import (
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/qrstand/qrstand/mqtt"
)

// Cloud is a test stand-in for the cloud on the MQTT side: a
// service-identity client on a test broker that publishes events to stands
// and records everything they send up, counting acks per event id. It
// speaks only the wire, so stand tests use it as "the cloud" without
// importing cloud/.
type Cloud struct {
	t  testing.TB
	pc paho.Client

	mu     sync.Mutex
	acks   map[string][]string // ref → results of distinct ack messages, in arrival order
	ackIDs map[string]bool
	raw    map[string]int // ref → ack messages received, duplicates included
	ups    []mqtt.Message
	states []mqtt.Message
	stIDs  map[string]bool // envelope ids in states
	nextUp int             // NextUp's cursor into ups
	nextSt int             // NextState's cursor into states
	onUp   func(mqtt.Message)
	subs   int
}

// CloudOptions say where DialCloud connects and what it listens to.
type CloudOptions struct {
	// URL is the broker, tcp://host:port.
	URL string
	// User and Secret are the service identity (any user on a broker
	// without authentication).
	User, Secret string
	// Up and State are the filters for uplinks and presence; default all
	// stands' (qrs/v1/d/+/up and qrs/v1/d/+/state).
	Up, State string
}

// WaitSubscribed waits until the cloud has (re)subscribed n times in all:
// after a broker restart, acks sent before it is back would be lost to a
// clean-session client (the real cloud's outbox resends; this one counts).
func (c *Cloud) WaitSubscribed(n int) {
	c.t.Helper()
	c.WaitFor("cloud subscription", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.subs >= n
	})
}

// NewCloud connects a fake cloud to b as its service identity.
func NewCloud(t testing.TB, b *Broker) *Cloud {
	t.Helper()
	return DialCloud(t, CloudOptions{URL: b.URL, User: ServiceUser, Secret: b.ServiceSecret})
}

// DialCloud connects a fake cloud to any broker (Mosquitto too).
func DialCloud(t testing.TB, o CloudOptions) *Cloud {
	t.Helper()
	if o.Up == "" {
		o.Up = "qrs/v1/d/+/up"
	}
	if o.State == "" {
		o.State = "qrs/v1/d/+/state"
	}
	c := &Cloud{t: t, acks: map[string][]string{}, ackIDs: map[string]bool{}, stIDs: map[string]bool{}, raw: map[string]int{}}
	id := o.User + "-" + strings.NewReplacer("/", "-", " ", "-").Replace(strings.ToLower(t.Name()))
	opts := paho.NewClientOptions().AddBroker(o.URL).SetClientID(id).
		SetUsername(o.User).SetPassword(o.Secret).SetCleanSession(true).
		SetAutoReconnect(true).SetMaxReconnectInterval(200 * time.Millisecond).SetConnectRetry(true).
		SetConnectRetryInterval(100 * time.Millisecond)
	opts.SetOnConnectHandler(func(pc paho.Client) {
		go func() {
			tok := pc.SubscribeMultiple(map[string]byte{o.Up: 1, o.State: 1}, c.onMessage)
			if tok.WaitTimeout(Wait) && tok.Error() == nil {
				c.mu.Lock()
				c.subs++
				c.mu.Unlock()
			}
		}()
	})
	c.pc = paho.NewClient(opts)
	if tok := c.pc.Connect(); !tok.WaitTimeout(Wait) || tok.Error() != nil {
		t.Fatalf("cloud connect: %v", tok.Error())
	}
	t.Cleanup(func() { c.pc.Disconnect(50) })
	c.WaitSubscribed(1)
	return c
}

func (c *Cloud) onMessage(_ paho.Client, pm paho.Message) {
	if len(pm.Payload()) == 0 {
		return // a retained message being cleared
	}
	m, err := mqtt.Unmarshal(pm.Payload())
	if err != nil {
		c.t.Errorf("cloud: undecodable uplink on %s: %v", pm.Topic(), err)
		return
	}
	c.mu.Lock()
	if m.Type == mqtt.KindPresence {
		// QoS 1 may deliver one presence twice (paho v1.5.1 resends a
		// publish made while it replays its store after a connect); a
		// presence is one envelope id, as the cloud's own dedupe sees it.
		if !c.stIDs[m.ID] {
			c.stIDs[m.ID] = true
			c.states = append(c.states, m)
		}
		c.mu.Unlock()
		return
	}
	if a, ok := m.Body.(*mqtt.Ack); ok {
		// QoS 1 may deliver one ack message twice (paho resends an uplink
		// whose PUBACK it did not see before a crash); the cloud dedupes
		// by envelope id, and so does this count.
		c.raw[a.Ref]++
		if !c.ackIDs[m.ID] {
			c.ackIDs[m.ID] = true
			c.acks[a.Ref] = append(c.acks[a.Ref], a.Result)
		}
	}
	c.ups = append(c.ups, m)
	f := c.onUp
	c.mu.Unlock()
	if f != nil {
		f(m)
	}
}

// Send publishes body to stand id as a new message with outbox sequence seq
// (0 for none) and returns it.
func (c *Cloud) Send(id string, body mqtt.Body, seq int64) mqtt.Message {
	c.t.Helper()
	m := mqtt.New(body, time.Now())
	m.Seq = seq
	c.Publish(id, m)
	return m
}

// Publish sends m to stand id as it is (a retry sends the same envelope):
// store.config retained on the config topic, everything else on down.
func (c *Cloud) Publish(id string, m mqtt.Message) {
	c.t.Helper()
	p, err := m.Marshal()
	if err != nil {
		c.t.Fatal(err)
	}
	topic := mqtt.DownTopic(id)
	if m.Type == mqtt.KindStoreConfig {
		topic = mqtt.ConfigTopic(id)
	}
	c.PublishRaw(topic, m.Type == mqtt.KindStoreConfig, p)
}

// PublishRaw publishes payload p on topic with QoS 1, as it is (malformed
// payloads, or an empty retained one that clears the topic).
func (c *Cloud) PublishRaw(topic string, retained bool, p []byte) {
	c.t.Helper()
	tok := c.pc.Publish(topic, 1, retained, p)
	if !tok.WaitTimeout(Wait) || tok.Error() != nil {
		c.t.Fatalf("cloud publish: %v", tok.Error())
	}
}

// NextUp waits for the next uplink of kind k after the one NextUp last
// returned, passing over uplinks of other kinds, and fails the test after
// Wait.
func (c *Cloud) NextUp(k mqtt.Kind) mqtt.Message {
	c.t.Helper()
	var m mqtt.Message
	WaitFor(c.t, "a "+string(k)+" uplink", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		for i := c.nextUp; i < len(c.ups); i++ {
			if c.ups[i].Type == k {
				m, c.nextUp = c.ups[i], i+1
				return true
			}
		}
		c.nextUp = len(c.ups)
		return false
	})
	return m
}

// NextState waits for the next presence message after the one NextState
// last returned, and fails the test after Wait.
func (c *Cloud) NextState() *mqtt.Presence {
	c.t.Helper()
	var m mqtt.Message
	WaitFor(c.t, "a presence message", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.nextSt < len(c.states) {
			m = c.states[c.nextSt]
			c.nextSt++
			return true
		}
		return false
	})
	return m.Body.(*mqtt.Presence)
}

// WaitFor is WaitFor on the cloud's test.
func (c *Cloud) WaitFor(what string, cond func() bool) {
	c.t.Helper()
	WaitFor(c.t, what, cond)
}

// WaitForWithin is WaitForWithin on the cloud's test.
func (c *Cloud) WaitForWithin(what string, d time.Duration, cond func() bool) {
	c.t.Helper()
	WaitForWithin(c.t, what, d, cond)
}

// AckResults returns the results of the distinct ack messages for ref, in
// arrival order.
func (c *Cloud) AckResults(ref string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.acks[ref]...)
}

// Acked reports whether ref has been acked at least once.
func (c *Cloud) Acked(ref string) bool { return len(c.AckResults(ref)) > 0 }

// UpsOf returns every uplink of kind k so far, in arrival order.
func (c *Cloud) UpsOf(k mqtt.Kind) []mqtt.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []mqtt.Message
	for _, m := range c.ups {
		if m.Type == k {
			out = append(out, m)
		}
	}
	return out
}

// OnUp sets f to be called with every uplink (after it is recorded).
func (c *Cloud) OnUp(f func(mqtt.Message)) {
	c.mu.Lock()
	c.onUp = f
	c.mu.Unlock()
}

// RawAcks returns how many ack messages for ref arrived, counting an MQTT
// redelivery of the same ack message again.
func (c *Cloud) RawAcks(ref string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.raw[ref]
}
