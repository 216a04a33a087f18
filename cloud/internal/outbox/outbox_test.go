package outbox_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/outbox"
	"github.com/qrstand/qrstand/cloud/internal/payment/paytest"
	"github.com/qrstand/qrstand/cloud/internal/storage"
	"github.com/qrstand/qrstand/cloud/internal/wxauth"
	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/mqtttest"
	"github.com/qrstand/qrstand/mqtt/standclient"
)

const wait = 20 * time.Second

// stand is a stand-side client with an in-memory journal: an event id is
// handled once, a repeat is a duplicate (acked, nothing else).
type stand struct {
	id     string
	dir    string // the client's store
	mu     sync.Mutex
	seen   map[string]bool
	got    []mqtt.Message // every message handled, in order, duplicates excluded
	dups   int
	events chan mqtt.Message
	cancel context.CancelFunc
	done   chan struct{}
}

// startStand connects a stand; prev, when given, is the same stand before a
// reboot, whose journal it keeps.
func startStand(t testing.TB, b *mqtttest.Broker, id, secret string, prev ...*stand) *stand {
	t.Helper()
	s := &stand{id: id, seen: map[string]bool{}, events: make(chan mqtt.Message, 100000), done: make(chan struct{})}
	for _, p := range prev {
		p.mu.Lock()
		s.seen, s.got = p.seen, p.got
		p.mu.Unlock()
	}
	// A file store, as on a real stand. (With the in-memory store, paho's
	// resume() sets DUP on the very packet object its writer goroutine is
	// sending — a data race inside paho v1.5.1 the race detector reports.)
	dir := t.TempDir()
	for _, p := range prev {
		dir = p.dir
	}
	s.dir = dir
	c, err := standclient.New(standclient.Config{Broker: b.URL, DeviceID: id, Secret: secret, StoreDir: dir, MinBackoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	handle := func(ctx context.Context, m mqtt.Message) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.seen[m.ID] {
			s.dups++
			return standclient.ErrDuplicate
		}
		s.seen[m.ID] = true
		s.got = append(s.got, m)
		s.events <- m
		return nil
	}
	c.Handle(mqtt.KindPaymentPaid, handle)
	c.Handle(mqtt.KindPaymentRefunded, handle)
	c.Handle(mqtt.KindSync, handle)
	c.OnConnect(func(ctx context.Context) {
		s.mu.Lock()
		var last int64
		for _, m := range s.got {
			last = max(last, m.Seq)
		}
		s.mu.Unlock()
		if _, err := c.Publish(ctx, &mqtt.Hello{Firmware: "test", BootID: "boot-1", Paired: true, LastSeq: last}); err != nil {
			t.Logf("hello: %v", err)
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go func() { defer close(s.done); c.Run(ctx) }()
	t.Cleanup(s.stop)
	return s
}

func (s *stand) stop() {
	s.cancel()
	<-s.done
}

func (s *stand) next(t *testing.T, kind mqtt.Kind) mqtt.Message {
	t.Helper()
	for {
		select {
		case m := <-s.events:
			if m.Type == kind {
				return m
			}
		case <-time.After(wait):
			t.Fatalf("stand %s: no %s", s.id, kind)
		}
	}
}

type cloud struct {
	d      *outbox.Dispatcher
	cancel context.CancelFunc
	done   chan struct{}
}

func startDispatcherTB(t testing.TB, w *paytest.World, b *mqtttest.Broker) *outbox.Dispatcher {
	return startDispatcher(t, w, b, nil).d
}

func startDispatcher(t testing.TB, w *paytest.World, b *mqtttest.Broker, tpl outbox.TemplateSender) *cloud {
	t.Helper()
	d, err := outbox.New(outbox.Config{Broker: b.URL, User: mqtttest.ServiceUser, Secret: b.ServiceSecret,
		StoreDir: t.TempDir(), Interval: 50 * time.Millisecond, MinBackoff: 300 * time.Millisecond, MaxBackoff: time.Second, Templates: tpl}, w.St)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &cloud{d: d, cancel: cancel, done: make(chan struct{})}
	go func() { defer close(c.done); d.Run(ctx) }()
	t.Cleanup(c.stop)
	deadline := time.Now().Add(wait)
	for !d.Connected() {
		if time.Now().After(deadline) {
			t.Fatal("dispatcher did not connect")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return c
}

func (c *cloud) stop() {
	c.cancel()
	<-c.done
}

// rowState waits until the stand row of ref for standID reaches state.
func rowState(t *testing.T, w *paytest.World, ref, standID, state string) model.OutboxRow {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		rs, err := w.St.OutboxByRef(context.Background(), ref)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if r.StandID == standID && r.State == state {
				return r
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("row of %s for %s never reached %s: %+v", ref, standID, state, rs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// pay places and pays an order (notify path) and returns its number.
func pay(t *testing.T, w *paytest.World, amount string) string {
	t.Helper()
	c := w.Place(t, amount)
	if err := w.Sim.Pay(c.Prepay.PrepayID); err != nil {
		t.Fatal(err)
	}
	w.WaitDeliveries(t, paytest.AckedFor(c.Order.OutTradeNo))
	return c.Order.OutTradeNo
}

func TestPaidReachesStandAndAckDelivers(t *testing.T) {
	w := paytest.New(t, paytest.Options{})
	b := mqtttest.Start(t, mqtttest.Options{})
	startDispatcher(t, w, b, nil)
	a := startStand(t, b, paytest.StandA, b.AddStand(paytest.StandA))
	if s := a.next(t, mqtt.KindSync).Body.(*mqtt.Sync); s.Pending != 0 { // hello answered: nothing pending yet
		t.Errorf("sync %+v", s)
	}
	no := pay(t, w, "12.50")
	m := a.next(t, mqtt.KindPaymentPaid)
	p := m.Body.(*mqtt.PaymentPaid)
	if p.OrderNo != no || p.AmountFen != 1250 || m.Seq != 1 {
		t.Errorf("stand got %+v %+v", m, p)
	}
	row := rowState(t, w, no, paytest.StandA, model.OutboxDelivered)
	if row.ID != m.ID {
		t.Errorf("delivered row %s, stand acked %s", row.ID, m.ID)
	}
	// Stand B never connected: its row waits.
	rowState(t, w, no, paytest.StandB, model.OutboxPending)
}

func TestOfflineStandGetsSyncThenFlush(t *testing.T) {
	w := paytest.New(t, paytest.Options{})
	b := mqtttest.Start(t, mqtttest.Options{})
	secret := b.AddStand(paytest.StandB)
	startDispatcher(t, w, b, nil)
	var orders []string
	for _, amt := range []string{"1.00", "2.00", "3.00"} {
		orders = append(orders, pay(t, w, amt))
	}
	// Retries go nowhere while the stand is offline; the rows wait.
	time.Sleep(500 * time.Millisecond)
	for _, no := range orders {
		rowState(t, w, no, paytest.StandB, model.OutboxPending)
	}
	s := startStand(t, b, paytest.StandB, secret)
	sync := s.next(t, mqtt.KindSync).Body.(*mqtt.Sync)
	if sync.Pending != 3 || sync.ThroughSeq != 3 {
		t.Errorf("sync = %+v, want 3 pending through seq 3", sync)
	}
	for i, no := range orders {
		m := s.next(t, mqtt.KindPaymentPaid)
		if m.Seq != int64(i+1) || m.Body.(*mqtt.PaymentPaid).OrderNo != no {
			t.Errorf("event %d: seq %d order %s, want %d %s", i, m.Seq, m.Body.(*mqtt.PaymentPaid).OrderNo, i+1, no)
		}
		rowState(t, w, no, paytest.StandB, model.OutboxDelivered)
	}
}

// A stand that said goodbye (presence offline) gets no copies queued while
// it is away — the retries are held back — and exactly one of each event,
// from the flush, when it returns.
func TestOfflineStandIsNotFlooded(t *testing.T) {
	w := paytest.New(t, paytest.Options{})
	b := mqtttest.Start(t, mqtttest.Options{Persistent: true})
	secret := b.AddStand(paytest.StandA)
	c := startDispatcher(t, w, b, nil)
	s := startStand(t, b, paytest.StandA, secret)
	s.next(t, mqtt.KindSync)
	s.stop() // a clean shutdown: presence offline
	no := pay(t, w, "6.00")
	// MinBackoff 300 ms, MaxBackoff 1 s: several retries fall due meanwhile.
	deadline := time.Now().Add(wait)
	for c.d.Skipped() < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("retries held back: %d, want >= 3", c.d.Skipped())
		}
		time.Sleep(50 * time.Millisecond)
	}
	s2 := startStand(t, b, paytest.StandA, secret, s)
	rowState(t, w, no, paytest.StandA, model.OutboxDelivered)
	time.Sleep(300 * time.Millisecond) // anything queued would have arrived by now
	s2.mu.Lock()
	defer s2.mu.Unlock()
	if s2.dups != 0 {
		t.Errorf("the stand received %d duplicate copies; the offline retries were queued", s2.dups)
	}
	var paid int
	for _, m := range s2.got {
		if m.Type == mqtt.KindPaymentPaid {
			paid++
		}
	}
	if paid != 1 {
		t.Errorf("stand handled %d payments, want 1", paid)
	}
}

// The cloud (dispatcher) stops after publishing and before the ack; the
// stand is away too. A new dispatcher and the stand's return deliver every
// row exactly once to the stand's journal.
func TestCloudRestartLosesNothing(t *testing.T) {
	w := paytest.New(t, paytest.Options{})
	b := mqtttest.Start(t, mqtttest.Options{Persistent: true})
	secret := b.AddStand(paytest.StandA)
	c1 := startDispatcher(t, w, b, nil)
	s := startStand(t, b, paytest.StandA, secret)
	s.next(t, mqtt.KindSync)
	s.stop() // persistent session: the broker queues for it
	first := pay(t, w, "4.00")
	time.Sleep(300 * time.Millisecond) // c1 publishes into the stand's queue
	c1.stop()
	second := pay(t, w, "5.00") // written while no dispatcher runs
	b.Restart()
	startDispatcher(t, w, b, nil)
	s2 := startStand(t, b, paytest.StandA, secret, s)
	for _, no := range []string{first, second} {
		rowState(t, w, no, paytest.StandA, model.OutboxDelivered)
	}
	s2.mu.Lock()
	defer s2.mu.Unlock()
	var paid []string
	for _, m := range s2.got {
		if m.Type == mqtt.KindPaymentPaid {
			paid = append(paid, m.Body.(*mqtt.PaymentPaid).OrderNo)
		}
	}
	if len(paid) != 2 || paid[0] != first || paid[1] != second {
		t.Errorf("journal holds %v, want [%s %s] once each", paid, first, second)
	}
}

func TestTemplateMessagesReachSimulator(t *testing.T) {
	w := paytest.New(t, paytest.Options{})
	b := mqtttest.Start(t, mqtttest.Options{})
	sim, _ := url.Parse(w.SimURL)
	appID := "wxtpl" + strings.ToLower(storage.NewToken()[:12]) // routed to this test's simulator only
	defer wxauth.RouteSandbox(appID, "/cgi-bin/", sim)()
	oa := &outbox.OfficialAccounts{Resolve: func(_ context.Context, providerID string) (outbox.Sender, error) {
		if providerID == "" {
			return outbox.Sender{}, errors.New("template row without provider")
		}
		return outbox.Sender{AppID: appID, Secret: "s"}, nil
	}}
	startDispatcher(t, w, b, oa)
	no := pay(t, w, "7.00")
	deadline := time.Now().Add(wait)
	for {
		rs, _ := w.St.OutboxByRef(context.Background(), no)
		var tpl model.OutboxRow
		for _, r := range rs {
			if r.Kind == model.OutboxTemplate {
				tpl = r
			}
		}
		if tpl.State == model.OutboxDelivered {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("template row %+v", tpl)
		}
		time.Sleep(20 * time.Millisecond)
	}
	msgs := w.Sim.Messages()
	if len(msgs) != 1 || msgs[0].ToUser != w.Clerk.OpenID || msgs[0].ClientMsgID == "" {
		t.Fatalf("messages %+v", msgs)
	}
	// Sending the same row again is deduplicated by client_msg_id.
	rs, _ := w.St.OutboxByRef(context.Background(), no)
	for _, r := range rs {
		if r.Kind == model.OutboxTemplate {
			if r.ProviderID == "" {
				t.Errorf("template row %s has no provider", r.ID)
			}
			if err := oa.SendTemplate(context.Background(), r.ProviderID, r.Payload); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n := len(w.Sim.Messages()); n != 1 {
		t.Errorf("%d messages after a resend, want 1", n)
	}
}
