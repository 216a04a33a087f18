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

	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/mqtttest"
	"github.com/qrstand/qrstand/mqtt/standclient"
)

const wait = 10 * time.Second

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
	cl := mqtttest.NewCloud(t, b)

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
	if p := cl.NextState(); !p.Online {
		t.Fatalf("first presence %+v, want online", p)
	}

	t.Run("done", func(t *testing.T) {
		m := cl.Send("stand-0001", paid("A1", 1250), 0)
		ack := cl.NextUp(mqtt.KindAck).Body.(*mqtt.Ack)
		if ack.Ref != m.ID || ack.Result != mqtt.AckDone {
			t.Fatalf("ack %+v, want done for %s", ack, m.ID)
		}
	})
	t.Run("duplicate", func(t *testing.T) {
		m := mqtt.New(paid("A2", 100), time.Now())
		p, _ := m.Marshal()
		cl.PublishRaw(mqtt.DownTopic("stand-0001"), false, p)
		cl.PublishRaw(mqtt.DownTopic("stand-0001"), false, p) // the outbox resends the same event
		if a := cl.NextUp(mqtt.KindAck).Body.(*mqtt.Ack); a.Ref != m.ID || a.Result != mqtt.AckDone {
			t.Fatalf("first ack %+v", a)
		}
		if a := cl.NextUp(mqtt.KindAck).Body.(*mqtt.Ack); a.Ref != m.ID || a.Result != mqtt.AckDuplicate {
			t.Fatalf("second ack %+v, want duplicate", a)
		}
	})
	t.Run("unhandled kind is ignored", func(t *testing.T) {
		m := cl.Send("stand-0001", &mqtt.Sync{Pending: 0}, 0)
		if a := cl.NextUp(mqtt.KindAck).Body.(*mqtt.Ack); a.Ref != m.ID || a.Result != mqtt.AckIgnored {
			t.Fatalf("ack %+v, want ignored", a)
		}
	})
	t.Run("handler rejects", func(t *testing.T) {
		m := cl.Send("stand-0001", &mqtt.StandCommand{Command: mqtt.CommandTestPrint}, 0)
		a := cl.NextUp(mqtt.KindAck).Body.(*mqtt.Ack)
		if a.Ref != m.ID || a.Result != mqtt.AckRejected || a.Error == "" {
			t.Fatalf("ack %+v, want rejected with a reason", a)
		}
	})
	t.Run("malformed payloads do not block the queue", func(t *testing.T) {
		badID := mqtt.NewID(time.Now())
		cl.PublishRaw(mqtt.DownTopic("stand-0001"), false, []byte(`not json at all`))
		cl.PublishRaw(mqtt.DownTopic("stand-0001"), false, []byte(`{"v":1,"id":"`+badID+`","type":"payment.paid","ts":"2026-11-25T00:00:00Z","body":{"amount_fen":-5}}`))
		cl.PublishRaw(mqtt.DownTopic("stand-0001"), false, []byte(`{"v":1,"id":"`+mqtt.NewID(time.Now())+`","type":"payment.teleported","ts":"2026-11-25T00:00:00Z","body":{}}`))
		if a := cl.NextUp(mqtt.KindAck).Body.(*mqtt.Ack); a.Ref != badID || a.Result != mqtt.AckRejected {
			t.Fatalf("ack %+v, want rejected for %s", a, badID)
		}
		if a := cl.NextUp(mqtt.KindAck).Body.(*mqtt.Ack); a.Result != mqtt.AckIgnored {
			t.Fatalf("ack %+v, want ignored for the unknown type", a)
		}
		m := cl.Send("stand-0001", paid("A3", 1), 0)
		if a := cl.NextUp(mqtt.KindAck).Body.(*mqtt.Ack); a.Ref != m.ID || a.Result != mqtt.AckDone {
			t.Fatalf("ack %+v", a)
		}
	})
	t.Run("handler error leaves it for redelivery", func(t *testing.T) {
		m := cl.Send("stand-0001", paid("FAILS-ONCE", 1), 0)
		// A marker after it: acks go up in the order messages are handled,
		// so the marker's ack coming next proves FAILS-ONCE got none.
		marker := cl.Send("stand-0001", paid("MARKER", 1), 0)
		if a := cl.NextUp(mqtt.KindAck).Body.(*mqtt.Ack); a.Ref != marker.ID || a.Result != mqtt.AckDone {
			t.Fatalf("ack %+v, want done for the marker %s (and none for %s)", a, marker.ID, m.ID)
		}
		// The stand restarts: the broker redelivers the unacked message.
		stop()
		if p := cl.NextState(); p.Online || p.Reason != "shutdown" {
			t.Fatalf("presence after a clean stop %+v, want offline/shutdown", p)
		}
		runStand(t, standclient.Config{Broker: b.URL, DeviceID: "stand-0001", Secret: secret, StoreDir: t.TempDir()},
			func(c *standclient.Client) {
				c.Handle(mqtt.KindPaymentPaid, func(context.Context, mqtt.Message) error { return nil })
			})
		a := cl.NextUp(mqtt.KindAck).Body.(*mqtt.Ack)
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
	cl := mqtttest.NewCloud(t, b)
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
	if p := cl.NextState(); !p.Online {
		t.Fatalf("presence %+v", p)
	}
	<-hellos
	px.cut()
	if p := cl.NextState(); p.Online || p.Reason != "lost" {
		t.Fatalf("presence after the cut %+v, want the last will", p)
	}
	if p := cl.NextState(); !p.Online {
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
	m := cl.Send("stand-0002", paid("B1", 10), 0)
	if a := cl.NextUp(mqtt.KindAck).Body.(*mqtt.Ack); a.Ref != m.ID {
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
	cl := mqtttest.DialCloud(t, mqtttest.CloudOptions{URL: "tcp://" + addr, User: "qrstand_cloud", Secret: "unused", Up: mqtt.UpTopic(id), State: mqtt.StateTopic(id)})
	got := make(chan mqtt.Message, 1)
	runStand(t, standclient.Config{Broker: "tcp://" + addr, DeviceID: id, Secret: "anything", StoreDir: t.TempDir()},
		func(c *standclient.Client) {
			c.Handle(mqtt.KindPaymentPaid, func(_ context.Context, m mqtt.Message) error { got <- m; return nil })
		})
	// Clean up the retained presence this test leaves on Mosquitto.
	t.Cleanup(func() { cl.PublishRaw(mqtt.StateTopic(id), true, nil) })
	if p := cl.NextState(); !p.Online {
		t.Fatalf("presence %+v", p)
	}
	m := cl.Send(id, paid("M1", 4550), 0)
	select {
	case g := <-got:
		if g.ID != m.ID || g.Body.(*mqtt.PaymentPaid).AmountFen != 4550 {
			t.Fatalf("handler got %+v", g)
		}
	case <-time.After(wait):
		t.Fatal("the handler never ran")
	}
	if a := cl.NextUp(mqtt.KindAck).Body.(*mqtt.Ack); a.Ref != m.ID || a.Result != mqtt.AckDone {
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
