package broker_test

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/broker"
	"github.com/qrstand/qrstand/mqtt/mqtttest"
)

const (
	victim   = "stand-0001"
	attacker = "stand-0002"
)

// inbox records what a paho subscriber receives, in order.
type inbox chan string

func (ib inbox) handler(_ paho.Client, m paho.Message) {
	p := m.Payload()
	if len(p) > 40 {
		p = p[:40]
	}
	ib <- m.Topic() + " " + string(p)
}

// until reads messages until one equals marker and returns all of them.
// The broker keeps one subscription's messages in order, so anything a
// test forged earlier would come before the marker.
func (ib inbox) until(t *testing.T, marker string) []string {
	t.Helper()
	var got []string
	for {
		select {
		case m := <-ib:
			got = append(got, m)
			if m == marker {
				return got
			}
		case <-time.After(wait):
			t.Fatalf("marker %q not received; got %q", marker, got)
		}
	}
}

func subscribe(t *testing.T, c paho.Client, ib inbox, filters ...string) {
	t.Helper()
	for _, f := range filters {
		tok := c.Subscribe(f, 1, ib.handler)
		if !tok.WaitTimeout(wait) || tok.Error() != nil {
			t.Fatalf("subscribe %s: %v", f, tok.Error())
		}
		if code := tok.(*paho.SubscribeToken).Result()[f]; code > 2 {
			t.Fatalf("subscribe %s: SUBACK %#x", f, code)
		}
	}
}

func publish(t *testing.T, c paho.Client, topic string, retain bool, payload string) {
	t.Helper()
	if tok := c.Publish(topic, 1, retain, payload); !tok.WaitTimeout(wait) || tok.Error() != nil {
		t.Fatalf("publish %s: %v", topic, tok.Error())
	}
}

func paidPayload(t *testing.T, fen int64) []byte {
	t.Helper()
	m := mqtt.New(&mqtt.PaymentPaid{OrderNo: "QS-FORGED", Channel: mqtt.ChannelWeChat, AmountFen: fen,
		PaidAt: time.Now().UTC(), StoreID: "st_1", StoreName: "测试店"}, time.Now())
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestWillRoutes: a will is a message the client makes the broker publish
// later, so it passes the same rule as a PUBLISH, checked at CONNECT: a
// stand's will on another stand's down/up/config/state topic, a retained
// will anywhere but its own state topic, an oversized or QoS 2 will, or an
// MQTT 5 will asking for answers on a foreign topic refuses the CONNECT.
// Nothing is delivered and nothing is retained; a stand's real will (its
// offline presence) still works.
func TestWillRoutes(t *testing.T) {
	store := t.TempDir() // persistent, so the stored retained messages can be checked too
	e := startEnv(t, []string{victim, attacker}, func(c *broker.Config) { c.DataDir = store })
	cloudIn, victimIn := make(inbox, 100), make(inbox, 100)
	cloud := mustRaw(t, e.url, serviceUser, serviceUser, e.service, true)
	subscribe(t, cloud, cloudIn, "qrs/v1/d/+/up", "qrs/v1/d/+/state")
	me := mustRaw(t, e.url, victim, victim, e.secrets[victim], true)
	subscribe(t, me, victimIn, mqtt.DownTopic(victim), mqtt.ConfigTopic(victim))

	paid := paidPayload(t, 888800)
	type will struct {
		topic    string
		qos      byte
		retain   bool
		payload  []byte
		response string // MQTT 5 will property
	}
	for _, tc := range []struct {
		name string
		v    byte
		will will
	}{
		{"foreign down", 4, will{topic: mqtt.DownTopic(victim), qos: 1, payload: paid}},
		{"foreign down v5", 5, will{topic: mqtt.DownTopic(victim), qos: 1, payload: paid}},
		{"foreign up (a forged ack)", 4, will{topic: mqtt.UpTopic(victim), qos: 1, payload: []byte(`{"v":1,"type":"ack"}`)}},
		{"foreign config retained", 4, will{topic: mqtt.ConfigTopic(victim), qos: 1, retain: true, payload: []byte(`{"v":1,"type":"store.config"}`)}},
		{"foreign state retained", 4, will{topic: mqtt.StateTopic(victim), qos: 1, retain: true, payload: []byte(`{"v":1,"type":"presence"}`)}},
		{"own down", 4, will{topic: mqtt.DownTopic(attacker), qos: 1, payload: paid}},
		{"own up retained", 4, will{topic: mqtt.UpTopic(attacker), qos: 1, retain: true, payload: []byte("x")}},
		{"own state qos 2", 4, will{topic: mqtt.StateTopic(attacker), qos: 2, retain: true, payload: []byte("x")}},
		{"own state retained, over the retained cap", 4, will{topic: mqtt.StateTopic(attacker), qos: 1, retain: true,
			payload: bytes.Repeat([]byte("x"), broker.DefaultMaxRetainedSize+1)}},
		{"v5 response topic on a foreign down", 5, will{topic: mqtt.StateTopic(attacker), qos: 1, retain: true,
			payload: []byte("x"), response: mqtt.DownTopic(victim)}},
		{"$SYS", 4, will{topic: "$SYS/broker/clients/connected", qos: 0, payload: []byte("0")}},
		{"wildcard", 4, will{topic: "qrs/v1/d/+/down", qos: 1, payload: paid}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := dialRaw(t, e.addr, tc.v)
			pk := connectPacket(attacker, attacker, e.secrets[attacker])
			pk.Connect.WillFlag, pk.Connect.WillTopic, pk.Connect.WillQos = true, tc.will.topic, tc.will.qos
			pk.Connect.WillRetain, pk.Connect.WillPayload = tc.will.retain, tc.will.payload
			pk.Connect.WillProperties.ResponseTopic = tc.will.response
			code, err := rc.connect(pk)
			// Dropping the connection is what would fire an accepted will;
			// wait until the broker has finished with it, so the checks
			// below would see such a will.
			rc.c.Close()
			mqtttest.WaitForWithin(t, "the broker to let go of the client", wait, func() bool { return !e.b.HasClient(attacker) })
			if err == nil && code == 0 {
				t.Errorf("CONNECT with a will on %q accepted", tc.will.topic)
			}
		})
	}
	t.Run("beyond the packet size", func(t *testing.T) {
		rc := dialRaw(t, e.addr, 4)
		pk := connectPacket(attacker, attacker, e.secrets[attacker])
		pk.Connect.WillFlag, pk.Connect.WillTopic, pk.Connect.WillQos = true, mqtt.StateTopic(attacker), 1
		pk.Connect.WillPayload = bytes.Repeat([]byte("x"), broker.DefaultMaxPacketSize)
		if code, err := rc.connect(pk); err == nil {
			t.Fatalf("an oversized CONNECT got CONNACK %#x", code)
		}
	})

	// The real will still works: the attacker's own offline presence,
	// retained on its own state topic, fires when its connection drops.
	rc := dialRaw(t, e.addr, 4)
	pk := connectPacket(attacker, attacker, e.secrets[attacker])
	pk.Connect.WillFlag, pk.Connect.WillTopic, pk.Connect.WillQos, pk.Connect.WillRetain = true, mqtt.StateTopic(attacker), 1, true
	pk.Connect.WillPayload = []byte("offline")
	if code, err := rc.connect(pk); err != nil || code != 0 {
		t.Fatalf("the stand's own will refused: %#x %v", code, err)
	}
	rc.c.Close()
	if got := cloudIn.until(t, mqtt.StateTopic(attacker)+" offline"); len(got) != 1 {
		t.Errorf("the cloud got before the real will: %q", got)
	}

	// Markers after every attempt: nothing forged arrived before them.
	publish(t, me, mqtt.UpTopic(victim), false, "marker-up")
	if got := cloudIn.until(t, mqtt.UpTopic(victim)+" marker-up"); len(got) != 1 {
		t.Errorf("the cloud received forged messages: %q", got)
	}
	publish(t, cloud, mqtt.DownTopic(victim), false, "marker-down")
	if got := victimIn.until(t, mqtt.DownTopic(victim)+" marker-down"); len(got) != 1 {
		t.Errorf("the victim received forged messages: %q", got)
	}
	onlyTheWillRetained(t, e.b, "retained", victim, attacker)

	// What the store kept: a broker started on the same data directory
	// holds the real will and nothing else.
	me.Disconnect(50)
	cloud.Disconnect(50)
	e.stop()
	again := startEnv(t, nil, func(c *broker.Config) { c.DataDir = store })
	onlyTheWillRetained(t, again.b, "stored", victim, attacker)
}

// onlyTheWillRetained fails t unless b retains nothing on the victim's and
// the attacker's topics but the attacker's real will ("offline") on its
// state topic.
func onlyTheWillRetained(t *testing.T, b *broker.Broker, what, victim, attacker string) {
	t.Helper()
	for _, topic := range []string{
		mqtt.DownTopic(victim), mqtt.UpTopic(victim), mqtt.ConfigTopic(victim), mqtt.StateTopic(victim),
		mqtt.DownTopic(attacker), mqtt.UpTopic(attacker),
	} {
		if p, ok := b.RetainedPayload(topic); ok {
			t.Errorf("%s on %s: %.40q", what, topic, p)
		}
	}
	if p, _ := b.RetainedPayload(mqtt.StateTopic(attacker)); string(p) != "offline" {
		t.Errorf("%s presence = %q, want the real will", what, p)
	}
}

// TestPublishRoutes: a PUBLISH passes the topic ACL and also the retain
// rule (a stand retains only its own state, the cloud only a stand's
// config), the retained size cap, QoS at most 1 and, in MQTT 5, a response
// topic the sender could read, and topic aliases are off. A refused QoS 1
// message disconnects the sender; nothing is delivered or retained.
func TestPublishRoutes(t *testing.T) {
	e := startEnv(t, []string{victim, attacker}, nil)
	cloudIn, victimIn := make(inbox, 100), make(inbox, 100)
	cloud := mustRaw(t, e.url, serviceUser, serviceUser, e.service, true)
	subscribe(t, cloud, cloudIn, "qrs/v1/d/+/up", "qrs/v1/d/+/state")
	me := mustRaw(t, e.url, victim, victim, e.secrets[victim], true)
	subscribe(t, me, victimIn, mqtt.DownTopic(victim), mqtt.ConfigTopic(victim))

	pub := func(topic string, qos byte, retain bool, payload []byte) packets.Packet {
		pk := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish, Qos: qos, Retain: retain},
			TopicName: topic, Payload: payload}
		if qos > 0 {
			pk.PacketID = 7
		}
		return pk
	}
	big := bytes.Repeat([]byte("x"), broker.DefaultMaxRetainedSize+1)
	for _, tc := range []struct {
		name string
		v    byte
		user string
		pk   packets.Packet
	}{
		{"stand retains on its own up", 4, attacker, pub(mqtt.UpTopic(attacker), 1, true, []byte("retained-ack"))},
		{"stand retains on its own up, v5", 5, attacker, pub(mqtt.UpTopic(attacker), 1, true, []byte("retained-ack"))},
		{"stand retains over the cap on its own state", 4, attacker, pub(mqtt.StateTopic(attacker), 1, true, big)},
		{"stand publishes QoS 2", 4, attacker, pub(mqtt.UpTopic(attacker), 2, false, []byte("q2"))},
		{"stand on a foreign down", 4, attacker, pub(mqtt.DownTopic(victim), 1, false, paidPayload(t, 100))},
		{"cloud retains on a down", 4, serviceUser, pub(mqtt.DownTopic(victim), 1, true, paidPayload(t, 100))},
		{"v5 response topic on a foreign down", 5, attacker, func() packets.Packet {
			pk := pub(mqtt.UpTopic(attacker), 1, false, []byte("request"))
			pk.Properties.ResponseTopic = mqtt.DownTopic(victim)
			return pk
		}()},
		{"v5 topic alias", 5, attacker, func() packets.Packet {
			pk := pub(mqtt.UpTopic(attacker), 1, false, []byte("aliased"))
			pk.Properties.TopicAlias, pk.Properties.TopicAliasFlag = 1, true
			return pk
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := dialRaw(t, e.addr, tc.v)
			id, pass := tc.user, e.service
			if tc.user != serviceUser {
				pass = e.secrets[tc.user]
			} else {
				id = serviceUser + "-raw"
			}
			if code, err := rc.connect(connectPacket(id, tc.user, pass)); err != nil || code != 0 {
				t.Fatalf("connect: %#x %v", code, err)
			}
			if err := rc.send(tc.pk); err != nil {
				t.Fatal(err)
			}
			for _, pk := range rc.waitClosed() {
				if pk.FixedHeader.Type == packets.Puback && pk.ReasonCode < 0x80 {
					t.Errorf("PUBACK %#x: accepted", pk.ReasonCode)
				}
			}
		})
	}
	t.Run("QoS 0 is dropped silently", func(t *testing.T) {
		rc := dialRaw(t, e.addr, 4)
		if code, err := rc.connect(connectPacket(attacker, attacker, e.secrets[attacker])); err != nil || code != 0 {
			t.Fatalf("connect: %#x %v", code, err)
		}
		rc.send(pub(mqtt.UpTopic(attacker), 0, true, []byte("retained-q0")))
		rc.send(pub(mqtt.DownTopic(victim), 0, false, []byte("forged-q0")))
		// A later allowed QoS 1 publish is acked only after the broker has
		// processed the ones before it.
		rc.send(pub(mqtt.StateTopic(attacker), 1, true, []byte("online")))
		ack, err := rc.read()
		if err != nil || ack.FixedHeader.Type != packets.Puback || ack.ReasonCode != 0 {
			t.Fatalf("allowed publish: %+v %v", ack.FixedHeader, err)
		}
	})
	t.Run("v5 response topic the sender reads is fine", func(t *testing.T) {
		rc := dialRaw(t, e.addr, 5)
		if code, err := rc.connect(connectPacket(attacker, attacker, e.secrets[attacker])); err != nil || code != 0 {
			t.Fatalf("connect: %#x %v", code, err)
		}
		pk := pub(mqtt.UpTopic(attacker), 1, false, []byte("request"))
		pk.Properties.ResponseTopic = mqtt.DownTopic(attacker)
		rc.send(pk)
		if ack, err := rc.read(); err != nil || ack.FixedHeader.Type != packets.Puback || ack.ReasonCode != 0 {
			t.Fatalf("allowed publish: %+v %v", ack.FixedHeader, err)
		}
	})
	t.Run("v5 subscription identifiers grant nothing", func(t *testing.T) {
		rc := dialRaw(t, e.addr, 5)
		if code, err := rc.connect(connectPacket(attacker, attacker, e.secrets[attacker])); err != nil || code != 0 {
			t.Fatalf("connect: %#x %v", code, err)
		}
		for i, f := range []string{mqtt.DownTopic(victim), "$share/g/" + mqtt.DownTopic(victim), mqtt.DownTopic(attacker)} {
			rc.send(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Subscribe, Qos: 1}, PacketID: uint16(i + 1),
				Properties: packets.Properties{SubscriptionIdentifier: []int{i + 1}},
				Filters:    packets.Subscriptions{{Filter: f, Qos: 1, Identifier: i + 1}}})
			ack, err := rc.read()
			if err != nil || ack.FixedHeader.Type != packets.Suback || len(ack.ReasonCodes) != 1 {
				t.Fatalf("subscribe %s: %+v %v", f, ack, err)
			}
			if granted := ack.ReasonCodes[0] < 0x80; granted != (f == mqtt.DownTopic(attacker)) {
				t.Errorf("subscribe %s with an identifier: SUBACK %#x", f, ack.ReasonCodes[0])
			}
		}
	})

	publish(t, me, mqtt.UpTopic(victim), false, "marker-up")
	want := []string{mqtt.StateTopic(attacker) + " online", mqtt.UpTopic(attacker) + " request", mqtt.UpTopic(victim) + " marker-up"}
	if got := cloudIn.until(t, want[2]); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("the cloud received %q, want %q", got, want)
	}
	publish(t, cloud, mqtt.DownTopic(victim), false, "marker-down")
	if got := victimIn.until(t, mqtt.DownTopic(victim)+" marker-down"); len(got) != 1 {
		t.Errorf("the victim received forged messages: %q", got)
	}
	for _, topic := range []string{mqtt.UpTopic(attacker), mqtt.DownTopic(victim)} {
		if p, ok := e.b.RetainedPayload(topic); ok {
			t.Errorf("retained on %s: %.40q", topic, p)
		}
	}
	if p, _ := e.b.RetainedPayload(mqtt.StateTopic(attacker)); string(p) != "online" {
		t.Errorf("retained state = %.40q, want the allowed one", p)
	}
	// The cloud's retained store.config still works.
	publish(t, cloud, mqtt.ConfigTopic(victim), true, "config-v1")
	if got := victimIn.until(t, mqtt.ConfigTopic(victim)+" config-v1"); len(got) != 1 {
		t.Errorf("victim got %q", got)
	}
	if p, _ := e.b.RetainedPayload(mqtt.ConfigTopic(victim)); string(p) != "config-v1" {
		t.Errorf("retained config = %q", p)
	}
}

// TestOversizedConnectBeforeAuth: sockets that declare a 256 MB CONNECT
// are closed on the fixed header, before the broker allocates the body.
func TestOversizedConnectBeforeAuth(t *testing.T) {
	e := startEnv(t, nil, nil)
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	const sockets = 4
	for i := 0; i < sockets; i++ {
		rc := dialRaw(t, e.addr, 4)
		// CONNECT, remaining length 268,435,455 (the MQTT maximum), then
		// the start of a body that never ends.
		if _, err := rc.c.Write([]byte{0x10, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x04, 'M', 'Q', 'T', 'T'}); err != nil {
			t.Fatal(err)
		}
		if got := rc.waitClosed(); len(got) != 0 {
			t.Errorf("socket %d: got %d packets before the close", i, len(got))
		}
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	// TotalAlloc counts every allocation, freed or not: one 256 MB buffer
	// would show.
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
		t.Errorf("the broker allocated %d MiB for %d unauthenticated sockets", grew>>20, sockets)
	}
}

// TestSilentSocketClosed: a connection that never sends CONNECT (or never
// finishes it) is closed after ConnectTimeout, on the plain and the TLS
// listener, while an authenticated client's keepalive takes over from
// that deadline.
func TestSilentSocketClosed(t *testing.T) {
	e := startEnv(t, []string{victim}, func(c *broker.Config) { c.ConnectTimeout = 200 * time.Millisecond })
	// Connected first: its CONNECT deadline would expire before the silent
	// sockets' deadlines below.
	me := mustRaw(t, e.url, victim, victim, e.secrets[victim], true)

	silent := dialRaw(t, e.addr, 4)
	half := dialRaw(t, e.addr, 4)
	half.c.Write([]byte{0x10, 0x20, 0x00, 0x04}) // a CONNECT that stops
	start := time.Now()
	silent.waitClosed()
	half.waitClosed()
	t.Logf("closed after %v", time.Since(start))

	if !me.IsConnectionOpen() {
		t.Fatal("the authenticated client was closed with the silent ones")
	}
	publish(t, me, mqtt.UpTopic(victim), false, "still here")
}

// TestPendingConnectsBounded: beyond MaxPendingConnects sockets waiting
// for their CONNECT, a new connection is closed at once; a slot frees when
// a waiting socket goes, and an authenticated client holds none.
func TestPendingConnectsBounded(t *testing.T) {
	e := startEnv(t, []string{victim}, func(c *broker.Config) { c.MaxPendingConnects, c.ConnectTimeout = 3, time.Minute })
	me := mustRaw(t, e.url, victim, victim, e.secrets[victim], true) // sent CONNECT: holds no slot
	var silent []*rawConn
	for i := 0; i < 3; i++ {
		silent = append(silent, dialRaw(t, e.addr, 4))
	}
	over := dialRaw(t, e.addr, 4)
	// The three are accepted in order, so by the time this one is refused
	// they hold every slot: the close is the fact to wait for.
	over.waitClosed()
	if !me.IsConnectionOpen() {
		t.Fatal("the authenticated client was closed")
	}
	for _, rc := range silent {
		rc.c.Close()
	}
	// Their slots come back once the broker has seen them go.
	for deadline := time.Now().Add(wait); ; {
		if _, err := rawClient(t, e.url, victim, victim, e.secrets[victim], true); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no connection accepted after the waiting sockets left")
		}
	}
}

// TestDeniedLargePublishLogsBounded: a refused 1 MiB publish (with the
// packet limit raised so it is read at all) writes a few hundred bytes of
// log, not the packet: mochi logs the whole packet on that path.
func TestDeniedLargePublishLogsBounded(t *testing.T) {
	var logs lockedBuffer
	e := startEnv(t, []string{victim, attacker}, func(c *broker.Config) {
		c.MaxPacketSize = 2 << 20
		c.Logger = captureLog(&logs)
	})
	big := bytes.Repeat([]byte{0xff}, 1<<20)
	for _, pk := range []packets.Packet{
		{FixedHeader: packets.FixedHeader{Type: packets.Publish, Qos: 1}, PacketID: 1, TopicName: mqtt.DownTopic(victim), Payload: big},
		{FixedHeader: packets.FixedHeader{Type: packets.Publish, Qos: 1, Retain: true}, PacketID: 1, TopicName: mqtt.UpTopic(attacker), Payload: big},
		{FixedHeader: packets.FixedHeader{Type: packets.Publish, Qos: 1}, PacketID: 1, TopicName: strings.Repeat("t", 60000), Payload: big},
	} {
		rc := dialRaw(t, e.addr, 4)
		if code, err := rc.connect(connectPacket(attacker, attacker, e.secrets[attacker])); err != nil || code != 0 {
			t.Fatalf("connect: %#x %v", code, err)
		}
		rc.send(pk)
		rc.waitClosed()
	}
	e.stop() // waits for every client goroutine, so every log line is written
	out := logs.String()
	if !strings.Contains(out, "denied") {
		t.Fatalf("no denial logged:\n%s", out)
	}
	if len(out) > 16<<10 {
		t.Errorf("3 denied 1 MiB publishes wrote %d bytes of log; first 2 KiB:\n%.2048s", len(out), out)
	}
	if strings.Contains(out, "255 255 255") || strings.Contains(out, strings.Repeat("t", 1000)) {
		t.Errorf("packet contents in the log:\n%.2048s", out)
	}
}

// TestRepeatedWarningsRateLimited: one client repeating a refused publish
// gets a bounded number of log lines, and the lines say how many were held
// back.
func TestRepeatedWarningsRateLimited(t *testing.T) {
	var logs lockedBuffer
	e := startEnv(t, []string{attacker}, func(c *broker.Config) { c.Logger = captureLog(&logs) })
	rc := dialRaw(t, e.addr, 4)
	if code, err := rc.connect(connectPacket(attacker, attacker, e.secrets[attacker])); err != nil || code != 0 {
		t.Fatalf("connect: %#x %v", code, err)
	}
	for i := 0; i < 500; i++ {
		rc.send(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish}, TopicName: mqtt.DownTopic(victim), Payload: []byte("x")})
	}
	rc.send(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish, Qos: 1}, PacketID: 1, TopicName: mqtt.UpTopic(attacker), Payload: []byte("x")})
	if ack, err := rc.read(); err != nil || ack.FixedHeader.Type != packets.Puback {
		t.Fatalf("allowed publish: %v", err)
	}
	n := strings.Count(logs.String(), "mqtt acl denied")
	if n < 1 || n > 20 {
		t.Errorf("500 refused publishes from one client logged %d lines, want 1..20", n)
	}
}
