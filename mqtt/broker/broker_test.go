package broker_test

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/mqtttest"
)

const wait = 10 * time.Second

// rawClient is a plain paho client: tests speak MQTT directly to see exactly
// what the broker allows.
func rawClient(t *testing.T, url, clientID, user, pass string, clean bool) (paho.Client, error) {
	t.Helper()
	opts := paho.NewClientOptions().AddBroker(url).SetClientID(clientID).
		SetUsername(user).SetPassword(pass).SetCleanSession(clean).
		SetAutoReconnect(false).SetConnectRetry(false).SetProtocolVersion(4).
		SetConnectTimeout(5 * time.Second)
	c := paho.NewClient(opts)
	tok := c.Connect()
	if !tok.WaitTimeout(wait) {
		return nil, fmt.Errorf("connect timed out")
	}
	if err := tok.Error(); err != nil {
		return nil, err
	}
	t.Cleanup(func() { c.Disconnect(50) })
	return c, nil
}

func mustRaw(t *testing.T, url, clientID, user, pass string, clean bool) paho.Client {
	t.Helper()
	c, err := rawClient(t, url, clientID, user, pass, clean)
	if err != nil {
		t.Fatalf("connect %s: %v", clientID, err)
	}
	return c
}

// subCode subscribes and returns the SUBACK return code (0x80 = refused).
func subCode(t *testing.T, c paho.Client, filter string) byte {
	t.Helper()
	tok := c.Subscribe(filter, 1, func(paho.Client, paho.Message) {})
	if !tok.WaitTimeout(wait) {
		t.Fatalf("subscribe %q timed out", filter)
	}
	if err := tok.Error(); err != nil {
		return 0x80
	}
	// paho keys the result by the filter without a $share/{group}/ prefix,
	// so take the one value there is.
	for _, code := range tok.(*paho.SubscribeToken).Result() {
		return code
	}
	t.Fatalf("subscribe %q: no SUBACK code", filter)
	return 0
}

func TestConnectAuthentication(t *testing.T) {
	b := mqtttest.Start(t, mqtttest.Options{})
	secret := b.AddStand("stand-0001")
	b.AddStand("stand-0002")

	tests := []struct {
		name, clientID, user, pass string
		ok                         bool
	}{
		{"good stand", "stand-0001", "stand-0001", secret, true},
		{"bad secret", "stand-0001", "stand-0001", secret + "x", false},
		{"empty secret", "stand-0001", "stand-0001", "", false},
		{"client id differs from username", "stand-0002", "stand-0001", secret, false},
		{"unknown stand", "stand-9999", "stand-9999", secret, false},
		{"invalid device id", "Stand#1", "Stand#1", secret, false},
		{"service", mqtttest.ServiceUser, mqtttest.ServiceUser, b.ServiceSecret, true},
		{"service node", mqtttest.ServiceUser + "-node2", mqtttest.ServiceUser, b.ServiceSecret, true},
		{"service with a stand's client id", "stand-0001", mqtttest.ServiceUser, b.ServiceSecret, false},
		{"service bad secret", mqtttest.ServiceUser, mqtttest.ServiceUser, secret, false},
		{"anonymous", "anon-0001", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := rawClient(t, b.URL, tt.clientID, tt.user, tt.pass, true)
			if tt.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tt.ok && err == nil {
				t.Fatalf("accepted")
			}
			if c != nil {
				c.Disconnect(50)
			}
		})
	}
}

func TestStandIsolation(t *testing.T) {
	b := mqtttest.Start(t, mqtttest.Options{})
	secret := b.AddStand("stand-0001")
	b.AddStand("stand-0002")
	me := mustRaw(t, b.URL, "stand-0001", "stand-0001", secret, true)

	for filter, want := range map[string]byte{
		mqtt.DownTopic("stand-0001"):               1,
		mqtt.ConfigTopic("stand-0001"):             1,
		mqtt.DownTopic("stand-0002"):               0x80,
		mqtt.ConfigTopic("stand-0002"):             0x80,
		mqtt.UpTopic("stand-0002"):                 0x80,
		mqtt.UpTopic("stand-0001"):                 0x80,
		"qrs/v1/d/+/down":                          0x80,
		"qrs/v1/d/stand-0001/+":                    0x80,
		"qrs/v1/d/stand-0001/#":                    0x80,
		"#":                                        0x80,
		"+/+/+/+/+":                                0x80,
		"$share/g/" + mqtt.DownTopic("stand-0002"): 0x80,
		"$share/g/qrs/v1/d/+/up":                   0x80,
		"$SYS/#":                                   0x80,
		"$SYS/broker/clients/connected":            0x80,
	} {
		if got := subCode(t, me, filter); got != want {
			t.Errorf("subscribe %q: SUBACK %#x, want %#x", filter, got, want)
		}
	}
}

func TestStandCannotPublishOnOthersTopics(t *testing.T) {
	b := mqtttest.Start(t, mqtttest.Options{})
	secret := b.AddStand("stand-0001")
	otherSecret := b.AddStand("stand-0002")

	// The cloud listens to every uplink and the other stand to its downlink.
	var mu sync.Mutex
	var seen []string
	record := func(_ paho.Client, m paho.Message) {
		mu.Lock()
		seen = append(seen, m.Topic()+" "+string(m.Payload()))
		mu.Unlock()
	}
	cloud := mustRaw(t, b.URL, mqtttest.ServiceUser, mqtttest.ServiceUser, b.ServiceSecret, true)
	for _, f := range []string{"qrs/v1/d/+/up", "qrs/v1/d/+/state"} {
		if tok := cloud.Subscribe(f, 1, record); !tok.WaitTimeout(wait) || tok.Error() != nil {
			t.Fatalf("cloud subscribe %s: %v", f, tok.Error())
		}
	}
	other := mustRaw(t, b.URL, "stand-0002", "stand-0002", otherSecret, true)
	for _, f := range []string{mqtt.DownTopic("stand-0002"), mqtt.ConfigTopic("stand-0002")} {
		if tok := other.Subscribe(f, 1, record); !tok.WaitTimeout(wait) || tok.Error() != nil {
			t.Fatalf("stand-0002 subscribe: %v", tok.Error())
		}
	}

	forbidden := []string{
		mqtt.UpTopic("stand-0002"), mqtt.StateTopic("stand-0002"),
		mqtt.DownTopic("stand-0002"), mqtt.ConfigTopic("stand-0002"),
		mqtt.DownTopic("stand-0001"), // not even its own downlink
		"$SYS/broker/uptime", "qrs/v1/d/stand-0001/up/x",
	}
	for _, topic := range forbidden {
		// QoS 0: silently dropped. QoS 1 on MQTT 3.1.1: the broker cuts the
		// connection (there is no negative PUBACK before MQTT 5).
		me := mustRaw(t, b.URL, "stand-0001", "stand-0001", secret, true)
		me.Publish(topic, 0, false, "forged-q0 "+topic).WaitTimeout(wait)
		me.Publish(topic, 1, false, "forged-q1 "+topic).WaitTimeout(2 * time.Second)
		// mochi drops a publish to a $ topic as invalid before the ACL
		// check, without disconnecting; either way nothing is delivered,
		// which the marker at the end of the test checks.
		if !strings.HasPrefix(topic, "$") {
			mqtttest.WaitForWithin(t, "the broker to cut a QoS1 publish to "+topic, wait, func() bool { return !me.IsConnectionOpen() })
		}
	}
	// An allowed publish after the forged ones (a marker) proves delivery
	// works and that nothing forged arrived before it.
	me := mustRaw(t, b.URL, "stand-0001", "stand-0001", secret, true)
	if tok := me.Publish(mqtt.UpTopic("stand-0001"), 1, false, "legit"); !tok.WaitTimeout(wait) || tok.Error() != nil {
		t.Fatalf("legit publish: %v", tok.Error())
	}
	mqtttest.WaitForWithin(t, "the legit uplink", wait, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(seen) > 0
	})
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 1 || seen[0] != mqtt.UpTopic("stand-0001")+" legit" {
		t.Fatalf("delivered: %q, want only the legit uplink", seen)
	}
}

func TestSecondConnectionTakesOver(t *testing.T) {
	b := mqtttest.Start(t, mqtttest.Options{})
	secret := b.AddStand("stand-0001")
	lost := make(chan error, 1)
	opts := paho.NewClientOptions().AddBroker(b.URL).SetClientID("stand-0001").
		SetUsername("stand-0001").SetPassword(secret).SetAutoReconnect(false).
		SetConnectionLostHandler(func(_ paho.Client, err error) { lost <- err })
	first := paho.NewClient(opts)
	if tok := first.Connect(); !tok.WaitTimeout(wait) || tok.Error() != nil {
		t.Fatalf("first connect: %v", tok.Error())
	}
	defer first.Disconnect(50)
	second := mustRaw(t, b.URL, "stand-0001", "stand-0001", secret, true)
	select {
	case <-lost:
	case <-time.After(wait):
		t.Fatal("the first connection was not taken over")
	}
	if !second.IsConnectionOpen() {
		t.Fatal("the second connection is not open")
	}
}

// TestQueuedMessagesSurviveRestart: QoS 1 messages queued for an offline
// stand survive a broker restart and all arrive, in publish order,
// byte-identical.
func TestQueuedMessagesSurviveRestart(t *testing.T) {
	const n = 150
	b := mqtttest.Start(t, mqtttest.Options{Persistent: true})
	secret := b.AddStand("stand-0001")
	down := mqtt.DownTopic("stand-0001")

	// The stand connects once to create its persistent session, then goes.
	stand := mustRaw(t, b.URL, "stand-0001", "stand-0001", secret, false)
	if code := subCode(t, stand, down); code != 1 {
		t.Fatalf("SUBACK %#x", code)
	}
	stand.Disconnect(50)

	// The cloud publishes n events while the stand is away, as fast as it
	// can, so many share a second (the case mochi's own ordering loses).
	cloud := mustRaw(t, b.URL, mqtttest.ServiceUser, mqtttest.ServiceUser, b.ServiceSecret, true)
	var want [][]byte
	for i := 0; i < n; i++ {
		m := mqtt.New(&mqtt.PaymentPaid{
			OrderNo: fmt.Sprintf("QS%06d", i), Channel: mqtt.ChannelWeChat, AmountFen: int64(100 + i),
			PaidAt: time.Now().UTC(), StoreID: "st_1", StoreName: "测试店",
		}, time.Now())
		m.Seq = int64(i + 1)
		p, err := m.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, p)
		if tok := cloud.Publish(down, 1, false, p); !tok.WaitTimeout(wait) || tok.Error() != nil {
			t.Fatalf("publish %d: %v", i, tok.Error())
		}
	}
	cloud.Disconnect(50)

	b.Restart()

	got := make(chan []byte, n*2)
	opts := paho.NewClientOptions().AddBroker(b.URL).SetClientID("stand-0001").
		SetUsername("stand-0001").SetPassword(secret).SetCleanSession(false).
		SetAutoReconnect(false).SetOrderMatters(true).
		SetDefaultPublishHandler(func(_ paho.Client, m paho.Message) {
			got <- bytes.Clone(m.Payload())
		})
	again := paho.NewClient(opts)
	if tok := again.Connect(); !tok.WaitTimeout(wait) || tok.Error() != nil {
		t.Fatalf("reconnect: %v", tok.Error())
	}
	defer again.Disconnect(50)
	if !again.(interface{ IsConnectionOpen() bool }).IsConnectionOpen() {
		t.Fatal("not connected")
	}
	for i := 0; i < n; i++ {
		select {
		case p := <-got:
			if !bytes.Equal(p, want[i]) {
				t.Fatalf("message %d after restart:\n got %s\nwant %s", i, p, want[i])
			}
		case <-time.After(wait):
			t.Fatalf("only %d of %d messages arrived after the restart", i, n)
		}
	}
	// A marker published now arrives after anything still queued: it must
	// be the next message.
	cloud = mustRaw(t, b.URL, mqtttest.ServiceUser, mqtttest.ServiceUser, b.ServiceSecret, true)
	defer cloud.Disconnect(50)
	if tok := cloud.Publish(down, 1, false, "marker"); !tok.WaitTimeout(wait) || tok.Error() != nil {
		t.Fatalf("publish marker: %v", tok.Error())
	}
	select {
	case p := <-got:
		if string(p) != "marker" {
			t.Fatalf("an extra message arrived: %s", p)
		}
	case <-time.After(wait):
		t.Fatal("the marker did not arrive")
	}
}

func TestServiceACL(t *testing.T) {
	b := mqtttest.Start(t, mqtttest.Options{})
	cloud := mustRaw(t, b.URL, mqtttest.ServiceUser, mqtttest.ServiceUser, b.ServiceSecret, true)
	for filter, want := range map[string]byte{
		"qrs/v1/d/+/up":              1,
		"$share/cloud/qrs/v1/d/+/up": 1,
		"qrs/v1/d/+/down":            0x80,
		"#":                          0x80,
		"$SYS/#":                     0x80,
	} {
		if got := subCode(t, cloud, filter); got != want {
			t.Errorf("service subscribe %q: %#x, want %#x", filter, got, want)
		}
	}
	if strings.Contains(mqtttest.ServiceUser, "-") {
		t.Fatal("the service user must not look like a device id")
	}
}
