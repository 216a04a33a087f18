package brokerctl_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/qrstand/qrstand/cloud/internal/brokerctl"
	"github.com/qrstand/qrstand/cloud/internal/brokerctl/mosquittotest"
	"github.com/qrstand/qrstand/mqtt"
)

const cloudUser = "qrstand_cloud"

type fixture struct {
	b        *mosquittotest.Broker
	ctl      *brokerctl.Mosquitto
	cloudPW  string
	received chan paho.Message
}

// setup starts a private Mosquitto from the documented config, sets up the
// cloud identity and connects one cloud node reading every stand's state
// and up topics.
func setup(t *testing.T) *fixture {
	t.Helper()
	b := mosquittotest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ctl, err := brokerctl.DialMosquitto(ctx, brokerctl.MosquittoConfig{Broker: b.URL, User: b.AdminUser, Password: b.AdminPassword})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ctl.Close)
	f := &fixture{b: b, ctl: ctl, cloudPW: mqtt.NewSecret(), received: make(chan paho.Message, 100)}
	if err := ctl.SetupCloud(ctx, cloudUser, f.cloudPW); err != nil {
		t.Fatal(err)
	}
	// Twice: setup runs at every node's start.
	if err := ctl.SetupCloud(ctx, cloudUser, f.cloudPW); err != nil {
		t.Fatalf("second SetupCloud: %v", err)
	}
	c := f.connect(t, cloudUser+"-node1", cloudUser, f.cloudPW)
	codes := subscribe(t, c, mqtt.TopicPrefix+"+/state", "$share/g/"+mqtt.TopicPrefix+"+/up")
	for topic, code := range codes {
		if code >= 0x80 {
			t.Fatalf("cloud subscribe %s refused: %#x", topic, code)
		}
	}
	return f
}

func (f *fixture) connect(t *testing.T, clientID, user, pass string) paho.Client {
	t.Helper()
	opts := paho.NewClientOptions().AddBroker(f.b.URL).SetClientID(clientID).SetUsername(user).SetPassword(pass).
		SetCleanSession(true).SetAutoReconnect(false).SetOrderMatters(true).
		SetDefaultPublishHandler(func(_ paho.Client, m paho.Message) { f.received <- m })
	c := paho.NewClient(opts)
	tok := c.Connect()
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect %s: %v", clientID, tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(0) })
	return c
}

func subscribe(t *testing.T, c paho.Client, filters ...string) map[string]byte {
	t.Helper()
	m := map[string]byte{}
	for _, f := range filters {
		m[f] = 1
	}
	tok := c.SubscribeMultiple(m, nil)
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	return tok.(*paho.SubscribeToken).Result()
}

// next returns the next message the cloud node received.
func (f *fixture) next(t *testing.T) paho.Message {
	t.Helper()
	select {
	case m := <-f.received:
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("cloud received nothing within 10 s")
		return nil
	}
}

// waitLog waits until Mosquitto logged a line containing s (its
// connection_messages are how a test learns that a socket close was seen).
func (f *fixture) waitLog(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(f.b.Logs(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("mosquitto never logged %q", s)
		}
		time.Sleep(10 * time.Millisecond) // polling a log file for a fact
	}
}

func TestMosquittoWillOnForeignTopicDropped(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	for _, id := range []string{"stand-aaaa", "stand-bbbb"} {
		if err := f.ctl.Register(ctx, id, "secret-"+id); err != nil {
			t.Fatal(err)
		}
	}
	// Stand A sets a will on stand B's presence topic: Mosquitto accepts
	// the CONNECT (wills are not checked there) ...
	a, rc := rawConnect(t, f.b.URL, "stand-aaaa", "stand-aaaa", "secret-stand-aaaa",
		&will{topic: mqtt.StateTopic("stand-bbbb"), payload: "forged", qos: 1, retain: true})
	if rc != 0 {
		t.Fatalf("stand A CONNACK %d, want 0", rc)
	}
	// ... and drops the will when A vanishes, because A's role may not
	// publish there.
	a.Close()
	f.waitLog(t, "Client stand-aaaa closed its connection")
	// Marker: B's own will, sent after A's was handled, does arrive; the
	// forged one must not have come before it.
	bc, rc := rawConnect(t, f.b.URL, "stand-bbbb", "stand-bbbb", "secret-stand-bbbb",
		&will{topic: mqtt.StateTopic("stand-bbbb"), payload: "marker", qos: 1})
	if rc != 0 {
		t.Fatalf("stand B CONNACK %d, want 0", rc)
	}
	bc.Close()
	m := f.next(t)
	if m.Topic() != mqtt.StateTopic("stand-bbbb") || string(m.Payload()) != "marker" {
		t.Fatalf("cloud got %s %q first, want B's own will (A's forged will must be dropped)", m.Topic(), m.Payload())
	}
	// Nothing was retained on B's topic either: a new subscriber gets none.
	c2 := f.connect(t, cloudUser+"-node2", cloudUser, f.cloudPW)
	got := make(chan paho.Message, 1)
	c2.Subscribe(mqtt.StateTopic("stand-bbbb"), 1, func(_ paho.Client, m paho.Message) { got <- m })
	// Marker publish from the cloud itself is not allowed on state, so use a
	// stand publish of its own presence as the fact that ends the wait.
	sb := f.connect(t, "stand-bbbb", "stand-bbbb", "secret-stand-bbbb")
	sb.Publish(mqtt.StateTopic("stand-bbbb"), 1, false, "online").WaitTimeout(5 * time.Second)
	select {
	case m := <-got:
		if string(m.Payload()) != "online" {
			t.Fatalf("retained %q on B's state, want nothing before the marker", m.Payload())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("marker never arrived")
	}
}

func TestMosquittoStandACL(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	for _, id := range []string{"stand-aaaa", "stand-bbbb"} {
		if err := f.ctl.Register(ctx, id, "secret-"+id); err != nil {
			t.Fatal(err)
		}
	}
	a := f.connect(t, "stand-aaaa", "stand-aaaa", "secret-stand-aaaa")
	codes := subscribe(t, a, mqtt.DownTopic("stand-aaaa"), mqtt.DownTopic("stand-bbbb"), mqtt.TopicPrefix+"+/down", "#", "$share/g/"+mqtt.TopicPrefix+"+/up")
	for topic, code := range codes {
		want := topic == mqtt.DownTopic("stand-aaaa")
		if (code < 0x80) != want {
			t.Errorf("stand A subscribe %s: code %#x, want allowed=%v", topic, code, want)
		}
	}
	// A publishes on B's up topic (refused) then on its own (the marker).
	a.Publish(mqtt.UpTopic("stand-bbbb"), 1, false, "forged").WaitTimeout(5 * time.Second)
	a.Publish(mqtt.UpTopic("stand-aaaa"), 1, false, "marker").WaitTimeout(5 * time.Second)
	m := f.next(t)
	if m.Topic() != mqtt.UpTopic("stand-aaaa") || string(m.Payload()) != "marker" {
		t.Fatalf("cloud got %s %q, want only A's own uplink", m.Topic(), m.Payload())
	}
	// A stand's client id is bound to its username.
	if _, rc := rawConnect(t, f.b.URL, "stand-bbbb", "stand-aaaa", "secret-stand-aaaa", nil); rc == 0 {
		t.Error("stand A connected with B's client id")
	}
	// The cloud may not publish to a stand's up topic (it would forge acks).
	c := f.connect(t, cloudUser+"-node3", cloudUser, f.cloudPW)
	c.Publish(mqtt.UpTopic("stand-aaaa"), 1, false, "forged-by-cloud").WaitTimeout(5 * time.Second)
	a.Publish(mqtt.UpTopic("stand-aaaa"), 1, false, "marker2").WaitTimeout(5 * time.Second)
	if m := f.next(t); string(m.Payload()) != "marker2" {
		t.Fatalf("cloud got %q, want marker2", m.Payload())
	}
}

func TestMosquittoRegisterRekeyRevoke(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	const id = "stand-cccc"
	if _, rc := rawConnect(t, f.b.URL, id, id, "s1", nil); rc == 0 {
		t.Fatal("unregistered stand connected")
	}
	if err := f.ctl.Register(ctx, id, "s1"); err != nil {
		t.Fatal(err)
	}
	if err := f.ctl.Register(ctx, id, "s1"); err != nil {
		t.Fatalf("Register twice: %v", err)
	}
	conn, rc := rawConnect(t, f.b.URL, id, id, "s1", nil)
	if rc != 0 {
		t.Fatalf("registered stand refused: CONNACK %d", rc)
	}
	if err := f.ctl.Rekey(ctx, id, "s2"); err != nil {
		t.Fatal(err)
	}
	if err := conn.closed(10 * time.Second); err != nil {
		t.Errorf("connection made with the old secret: %v", err)
	}
	if _, rc := rawConnect(t, f.b.URL, id, id, "s1", nil); rc == 0 {
		t.Error("old secret still accepted after Rekey")
	}
	conn, rc = rawConnect(t, f.b.URL, id, id, "s2", nil)
	if rc != 0 {
		t.Fatalf("new secret refused: CONNACK %d", rc)
	}
	if err := f.ctl.Revoke(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := conn.closed(10 * time.Second); err != nil {
		t.Errorf("connection of a revoked stand: %v", err)
	}
	if _, rc := rawConnect(t, f.b.URL, id, id, "s2", nil); rc == 0 {
		t.Error("revoked stand connected")
	}
	if err := f.ctl.Revoke(ctx, id); err != nil {
		t.Errorf("Revoke twice: %v", err)
	}
	// Registering again after a revoke works (a stand re-provisioned).
	if err := f.ctl.Register(ctx, id, "s3"); err != nil {
		t.Fatal(err)
	}
	if _, rc := rawConnect(t, f.b.URL, id, id, "s3", nil); rc != 0 {
		t.Errorf("re-registered stand refused: CONNACK %d", rc)
	}
	if err := f.ctl.Rekey(ctx, "stand-none", "x"); err == nil {
		t.Error("Rekey of an unknown stand succeeded")
	}
	if err := f.ctl.Register(ctx, "Bad/Id", "x"); err == nil {
		t.Error("Register accepted an invalid id")
	}
}

func TestMosquittoConcurrentControllers(t *testing.T) {
	// Two nodes' controllers share the response topic; each must get only
	// its own answers.
	f := setup(t)
	ctx := context.Background()
	ctl2, err := brokerctl.DialMosquitto(ctx, brokerctl.MosquittoConfig{Broker: f.b.URL, User: f.b.AdminUser, Password: f.b.AdminPassword})
	if err != nil {
		t.Fatal(err)
	}
	defer ctl2.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 10 {
		ctl := f.ctl
		if i%2 == 1 {
			ctl = ctl2
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- ctl.Register(ctx, "stand-p"+string(rune('a'+i))+"xx", "pw")
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}
