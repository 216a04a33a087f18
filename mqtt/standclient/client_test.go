package standclient_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/mqtttest"
	"github.com/qrstand/qrstand/mqtt/standclient"
)

const wait = 10 * time.Second

// cloud is a test stand-in for the cloud: it publishes to stands and
// collects what they send on up and state.
type cloud struct {
	t      *testing.T
	pc     paho.Client
	up     chan mqtt.Message
	states chan mqtt.Message
}

func newCloud(t *testing.T, url, user, secret, upFilter, stateFilter string) *cloud {
	t.Helper()
	c := &cloud{t: t, up: make(chan mqtt.Message, 1000), states: make(chan mqtt.Message, 100)}
	opts := paho.NewClientOptions().AddBroker(url).SetClientID(user + "-test").
		SetUsername(user).SetPassword(secret).SetCleanSession(true).SetAutoReconnect(true)
	c.pc = paho.NewClient(opts)
	if tok := c.pc.Connect(); !tok.WaitTimeout(wait) || tok.Error() != nil {
		t.Fatalf("cloud connect: %v", tok.Error())
	}
	t.Cleanup(func() { c.pc.Disconnect(50) })
	sub := func(filter string, ch chan mqtt.Message) {
		tok := c.pc.Subscribe(filter, 1, func(_ paho.Client, pm paho.Message) {
			if len(pm.Payload()) == 0 {
				return // a retained message being cleared
			}
			m, err := mqtt.Unmarshal(pm.Payload())
			if err != nil {
				t.Errorf("cloud got an undecodable uplink on %s: %v", pm.Topic(), err)
				return
			}
			ch <- m
		})
		if !tok.WaitTimeout(wait) || tok.Error() != nil {
			t.Fatalf("cloud subscribe: %v", tok.Error())
		}
	}
	sub(upFilter, c.up)
	sub(stateFilter, c.states)
	return c
}

func (c *cloud) send(id string, body mqtt.Body) mqtt.Message {
	c.t.Helper()
	m := mqtt.New(body, time.Now())
	p, err := m.Marshal()
	if err != nil {
		c.t.Fatal(err)
	}
	c.sendRaw(mqtt.DownTopic(id), p)
	return m
}

func (c *cloud) sendRaw(topic string, p []byte) {
	c.t.Helper()
	if tok := c.pc.Publish(topic, 1, false, p); !tok.WaitTimeout(wait) || tok.Error() != nil {
		c.t.Fatalf("cloud publish: %v", tok.Error())
	}
}

// nextUp returns the next uplink of kind k, skipping others.
func (c *cloud) nextUp(k mqtt.Kind) mqtt.Message {
	c.t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case m := <-c.up:
			if m.Type == k {
				return m
			}
		case <-deadline:
			c.t.Fatalf("no %s uplink within %v", k, wait)
		}
	}
}

func (c *cloud) nextState() *mqtt.Presence {
	c.t.Helper()
	select {
	case m := <-c.states:
		return m.Body.(*mqtt.Presence)
	case <-time.After(wait):
		c.t.Fatal("no presence within the wait")
		return nil
	}
}

// runStand starts a stand client; the returned stop ends Run and waits.
func runStand(t *testing.T, cfg standclient.Config, setup func(*standclient.Client)) (*standclient.Client, func()) {
	t.Helper()
	cfg.MinBackoff, cfg.MaxBackoff = 20*time.Millisecond, 200*time.Millisecond
	c, err := standclient.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	connected := make(chan struct{}, 10)
	c.OnConnect(func(context.Context) { connected <- struct{}{} })
	if setup != nil {
		setup(c)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	select {
	case <-connected:
	case <-time.After(wait):
		cancel()
		t.Fatal("stand did not connect")
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return c, stop
}

func paid(order string, fen int64) *mqtt.PaymentPaid {
	return &mqtt.PaymentPaid{OrderNo: order, Channel: mqtt.ChannelWeChat, AmountFen: fen, PaidAt: time.Now().UTC(), StoreID: "st_1"}
}

func TestAckAfterHandler(t *testing.T) {
	b := mqtttest.Start(t, mqtttest.Options{})
	secret := b.AddStand("stand-0001")
	cl := newCloud(t, b.URL, mqtttest.ServiceUser, b.ServiceSecret, "qrs/v1/d/+/up", "qrs/v1/d/+/state")

	var mu sync.Mutex
	seen := map[string]bool{}
	failNext := true
	_, stop := runStand(t, standclient.Config{Broker: b.URL, DeviceID: "stand-0001", Secret: secret, StoreDir: t.TempDir()},
		func(c *standclient.Client) {
			c.Handle(mqtt.KindPaymentPaid, func(_ context.Context, m mqtt.Message) error {
				p := m.Body.(*mqtt.PaymentPaid)
				mu.Lock()
				defer mu.Unlock()
				if p.OrderNo == "FAILS-ONCE" && failNext {
					failNext = false
					return errors.New("disk full")
				}
				if seen[m.ID] {
					return standclient.ErrDuplicate
				}
				seen[m.ID] = true
				return nil
			})
			c.Handle(mqtt.KindStandCommand, func(context.Context, mqtt.Message) error {
				return fmt.Errorf("not for this store: %w", standclient.ErrReject)
			})
		})
	if p := cl.nextState(); !p.Online {
		t.Fatalf("first presence %+v, want online", p)
	}

	t.Run("done", func(t *testing.T) {
		m := cl.send("stand-0001", paid("A1", 1250))
		ack := cl.nextUp(mqtt.KindAck).Body.(*mqtt.Ack)
		if ack.Ref != m.ID || ack.Result != mqtt.AckDone {
			t.Fatalf("ack %+v, want done for %s", ack, m.ID)
		}
	})
	t.Run("duplicate", func(t *testing.T) {
		m := mqtt.New(paid("A2", 100), time.Now())
		p, _ := m.Marshal()
		cl.sendRaw(mqtt.DownTopic("stand-0001"), p)
		cl.sendRaw(mqtt.DownTopic("stand-0001"), p) // the outbox resends the same event
		if a := cl.nextUp(mqtt.KindAck).Body.(*mqtt.Ack); a.Ref != m.ID || a.Result != mqtt.AckDone {
			t.Fatalf("first ack %+v", a)
		}
		if a := cl.nextUp(mqtt.KindAck).Body.(*mqtt.Ack); a.Ref != m.ID || a.Result != mqtt.AckDuplicate {
			t.Fatalf("second ack %+v, want duplicate", a)
		}
	})
	t.Run("unhandled kind is ignored", func(t *testing.T) {
		m := cl.send("stand-0001", &mqtt.Sync{Pending: 0})
		if a := cl.nextUp(mqtt.KindAck).Body.(*mqtt.Ack); a.Ref != m.ID || a.Result != mqtt.AckIgnored {
			t.Fatalf("ack %+v, want ignored", a)
		}
	})
	t.Run("handler rejects", func(t *testing.T) {
		m := cl.send("stand-0001", &mqtt.StandCommand{Command: mqtt.CommandTestPrint})
		a := cl.nextUp(mqtt.KindAck).Body.(*mqtt.Ack)
		if a.Ref != m.ID || a.Result != mqtt.AckRejected || a.Error == "" {
			t.Fatalf("ack %+v, want rejected with a reason", a)
		}
	})
	t.Run("malformed payloads do not block the queue", func(t *testing.T) {
		badID := mqtt.NewID(time.Now())
		cl.sendRaw(mqtt.DownTopic("stand-0001"), []byte(`not json at all`))
		cl.sendRaw(mqtt.DownTopic("stand-0001"), []byte(`{"v":1,"id":"`+badID+`","type":"payment.paid","ts":"2026-11-25T00:00:00Z","body":{"amount_fen":-5}}`))
		cl.sendRaw(mqtt.DownTopic("stand-0001"), []byte(`{"v":1,"id":"`+mqtt.NewID(time.Now())+`","type":"payment.teleported","ts":"2026-11-25T00:00:00Z","body":{}}`))
		if a := cl.nextUp(mqtt.KindAck).Body.(*mqtt.Ack); a.Ref != badID || a.Result != mqtt.AckRejected {
			t.Fatalf("ack %+v, want rejected for %s", a, badID)
		}
		if a := cl.nextUp(mqtt.KindAck).Body.(*mqtt.Ack); a.Result != mqtt.AckIgnored {
			t.Fatalf("ack %+v, want ignored for the unknown type", a)
		}
		m := cl.send("stand-0001", paid("A3", 1))
		if a := cl.nextUp(mqtt.KindAck).Body.(*mqtt.Ack); a.Ref != m.ID || a.Result != mqtt.AckDone {
			t.Fatalf("ack %+v", a)
		}
	})
	t.Run("handler error leaves it for redelivery", func(t *testing.T) {
		m := cl.send("stand-0001", paid("FAILS-ONCE", 1))
		// A marker after it: acks go up in the order messages are handled,
		// so the marker's ack coming next proves FAILS-ONCE got none.
		marker := cl.send("stand-0001", paid("MARKER", 1))
		if a := cl.nextUp(mqtt.KindAck).Body.(*mqtt.Ack); a.Ref != marker.ID || a.Result != mqtt.AckDone {
			t.Fatalf("ack %+v, want done for the marker %s (and none for %s)", a, marker.ID, m.ID)
		}
		// The stand restarts: the broker redelivers the unacked message.
		stop()
		if p := cl.nextState(); p.Online || p.Reason != "shutdown" {
			t.Fatalf("presence after a clean stop %+v, want offline/shutdown", p)
		}
		runStand(t, standclient.Config{Broker: b.URL, DeviceID: "stand-0001", Secret: secret, StoreDir: t.TempDir()},
			func(c *standclient.Client) {
				c.Handle(mqtt.KindPaymentPaid, func(context.Context, mqtt.Message) error { return nil })
			})
		a := cl.nextUp(mqtt.KindAck).Body.(*mqtt.Ack)
		if a.Ref != m.ID || a.Result != mqtt.AckDone {
			t.Fatalf("ack after restart %+v, want done for %s", a, m.ID)
		}
	})
}

// TestReconnectAndLastWill cuts the stand's TCP connection under it: the
// broker publishes its last will (offline), the client reconnects on its own
// with backoff, says online again and keeps receiving.
func TestReconnectAndLastWill(t *testing.T) {
	b := mqtttest.Start(t, mqtttest.Options{})
	secret := b.AddStand("stand-0002")
	cl := newCloud(t, b.URL, mqtttest.ServiceUser, b.ServiceSecret, "qrs/v1/d/+/up", "qrs/v1/d/+/state")
	px := newProxy(t, b.Addr)

	hellos := make(chan struct{}, 10)
	var c *standclient.Client
	c, _ = runStand(t, standclient.Config{Broker: "tcp://" + px.addr, DeviceID: "stand-0002", Secret: secret, KeepAlive: 2 * time.Second},
		func(sc *standclient.Client) {
			sc.OnConnect(func(ctx context.Context) {
				if _, err := sc.Publish(ctx, &mqtt.Hello{Firmware: "test", BootID: "b1"}); err == nil {
					hellos <- struct{}{}
				}
			})
			sc.Handle(mqtt.KindPaymentPaid, func(context.Context, mqtt.Message) error { return nil })
		})
	if p := cl.nextState(); !p.Online {
		t.Fatalf("presence %+v", p)
	}
	<-hellos
	px.cut()
	if p := cl.nextState(); p.Online || p.Reason != "lost" {
		t.Fatalf("presence after the cut %+v, want the last will", p)
	}
	if p := cl.nextState(); !p.Online {
		t.Fatalf("presence after reconnect %+v, want online", p)
	}
	select {
	case <-hellos:
	case <-time.After(wait):
		t.Fatal("no hello after the reconnect")
	}
	if !c.Connected() {
		t.Fatal("not connected after the reconnect")
	}
	m := cl.send("stand-0002", paid("B1", 10))
	if a := cl.nextUp(mqtt.KindAck).Body.(*mqtt.Ack); a.Ref != m.ID {
		t.Fatalf("ack %+v", a)
	}
}

// TestMosquittoInterop runs the stand client against the Mosquitto on
// 127.0.0.1:1883 (anonymous, as Debian ships it) on a test-unique device id.
func TestMosquittoInterop(t *testing.T) {
	addr := "127.0.0.1:1883"
	if v := os.Getenv("QRSTAND_MOSQUITTO_ADDR"); v != "" {
		addr = v
	}
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Mosquitto is required under CI=true and is not reachable at %s: %v", addr, err)
		}
		t.Skipf("Mosquitto not reachable at %s (%v); start it with: mosquitto -d -c /etc/mosquitto/mosquitto.conf", addr, err)
	}
	conn.Close()

	id := fmt.Sprintf("it-%d", time.Now().UnixNano())
	cl := newCloud(t, "tcp://"+addr, "qrstand_cloud", "unused", mqtt.UpTopic(id), mqtt.StateTopic(id))
	got := make(chan mqtt.Message, 1)
	runStand(t, standclient.Config{Broker: "tcp://" + addr, DeviceID: id, Secret: "anything", StoreDir: t.TempDir()},
		func(c *standclient.Client) {
			c.Handle(mqtt.KindPaymentPaid, func(_ context.Context, m mqtt.Message) error { got <- m; return nil })
		})
	// Clean up the retained presence this test leaves on Mosquitto.
	t.Cleanup(func() { cl.pc.Publish(mqtt.StateTopic(id), 1, true, []byte{}).WaitTimeout(wait) })
	if p := cl.nextState(); !p.Online {
		t.Fatalf("presence %+v", p)
	}
	m := cl.send(id, paid("M1", 4550))
	select {
	case g := <-got:
		if g.ID != m.ID || g.Body.(*mqtt.PaymentPaid).AmountFen != 4550 {
			t.Fatalf("handler got %+v", g)
		}
	case <-time.After(wait):
		t.Fatal("the handler never ran")
	}
	if a := cl.nextUp(mqtt.KindAck).Body.(*mqtt.Ack); a.Ref != m.ID || a.Result != mqtt.AckDone {
		t.Fatalf("ack %+v", a)
	}
}

// proxy forwards TCP to a target and can cut every connection at once.
type proxy struct {
	addr  string
	mu    sync.Mutex
	conns []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{addr: ln.Addr().String()}
	t.Cleanup(func() { ln.Close(); p.cut() })
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				in.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, in, out)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(out, in); out.Close() }()
			go func() { _, _ = io.Copy(in, out); in.Close() }()
		}
	}()
	return p
}

func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}
