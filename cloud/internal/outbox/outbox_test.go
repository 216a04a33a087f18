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
	"github.com/qrstand/qrstand/cloud/internal/nodelink"
	"github.com/qrstand/qrstand/cloud/internal/outbox"
	"github.com/qrstand/qrstand/cloud/internal/payment/paytest"
	"github.com/qrstand/qrstand/cloud/internal/storage"
	"github.com/qrstand/qrstand/cloud/internal/wxauth"
	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/mqtttest"
)

type cloud struct {
	d      *outbox.Dispatcher
	link   *nodelink.Link
	cancel context.CancelFunc
	done   chan struct{}
}

func startDispatcherTB(t testing.TB, w *paytest.World, b *mqtttest.Broker) *outbox.Dispatcher {
	return startDispatcher(t, w, b, nil).d
}

func startDispatcher(t testing.TB, w *paytest.World, b *mqtttest.Broker, tpl outbox.TemplateSender, mods ...func(*outbox.Config)) *cloud {
	t.Helper()
	link, err := nodelink.New(nodelink.Config{User: mqtttest.ServiceUser, Secret: b.ServiceSecret, StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	cfg := outbox.Config{Link: link, Interval: 50 * time.Millisecond, MinBackoff: 300 * time.Millisecond, MaxBackoff: time.Second, Templates: tpl}
	for _, m := range mods {
		m(&cfg)
	}
	d, err := outbox.New(cfg, w.St)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &cloud{d: d, link: link, cancel: cancel, done: make(chan struct{})}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); link.Run(ctx, b.URL) }()
	go func() { defer wg.Done(); d.Run(ctx) }()
	go func() { wg.Wait(); close(c.done) }()
	t.Cleanup(c.stop)
	mqtttest.WaitFor(t, "dispatcher connected", d.Connected)
	return c
}

func (c *cloud) stop() {
	c.cancel()
	<-c.done
}

// rowState waits until the stand row of ref for standID reaches state.
func rowState(t *testing.T, w *paytest.World, ref, standID, state string) model.OutboxRow {
	t.Helper()
	return rowWhere(t, w, ref, standID, "state "+state, func(r model.OutboxRow) bool { return r.State == state })
}

// rowWhere waits until the stand row of ref for standID satisfies cond.
func rowWhere(t *testing.T, w *paytest.World, ref, standID, what string, cond func(model.OutboxRow) bool) model.OutboxRow {
	t.Helper()
	var row model.OutboxRow
	mqtttest.WaitFor(t, "row of "+ref+" for "+standID+": "+what, func() bool {
		rs, err := w.St.OutboxByRef(context.Background(), ref)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if r.StandID == standID && cond(r) {
				row = r
				return true
			}
		}
		return false
	})
	return row
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
	a := mqtttest.StartStand(t, b, paytest.StandA, b.AddStand(paytest.StandA))
	if s := a.Next(mqtt.KindSync).Body.(*mqtt.Sync); s.Pending != 0 { // hello answered: nothing pending yet
		t.Errorf("sync %+v", s)
	}
	no := pay(t, w, "12.50")
	m := a.Next(mqtt.KindPaymentPaid)
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
	// Retries go nowhere while the stand is offline: every row is sent
	// twice and still waits.
	for _, no := range orders {
		r := rowWhere(t, w, no, paytest.StandB, "retried", func(r model.OutboxRow) bool { return r.Attempts >= 2 })
		if r.State != model.OutboxPending {
			t.Errorf("row of %s for an offline stand is %s, want pending", no, r.State)
		}
	}
	s := mqtttest.StartStand(t, b, paytest.StandB, secret)
	sync := s.Next(mqtt.KindSync).Body.(*mqtt.Sync)
	if sync.Pending != 3 || sync.ThroughSeq != 3 {
		t.Errorf("sync = %+v, want 3 pending through seq 3", sync)
	}
	for i, no := range orders {
		m := s.Next(mqtt.KindPaymentPaid)
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
	s := mqtttest.StartStand(t, b, paytest.StandA, secret)
	s.Next(mqtt.KindSync)
	s.Stop() // a clean shutdown: presence offline
	no := pay(t, w, "6.00")
	// MinBackoff 300 ms, MaxBackoff 1 s: several retries fall due meanwhile.
	mqtttest.WaitFor(t, "3 retries held back", func() bool { return c.d.Skipped() >= 3 })
	s.Restart()
	rowState(t, w, no, paytest.StandA, model.OutboxDelivered)
	// A marker payment after the return: the broker delivers the stand's
	// queue in order, so any copy queued while it was away arrives before
	// the marker does.
	marker := pay(t, w, "6.01")
	rowState(t, w, marker, paytest.StandA, model.OutboxDelivered)
	if n := s.Dups(); n != 0 {
		t.Errorf("the stand received %d duplicate copies; the offline retries were queued", n)
	}
	var paid []string
	for _, m := range s.Got() {
		if m.Type == mqtt.KindPaymentPaid {
			paid = append(paid, m.Body.(*mqtt.PaymentPaid).OrderNo)
		}
	}
	if len(paid) != 2 || paid[0] != no || paid[1] != marker {
		t.Errorf("stand handled %v, want [%s %s] once each", paid, no, marker)
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
	s := mqtttest.StartStand(t, b, paytest.StandA, secret)
	s.Next(mqtt.KindSync)
	s.Stop() // persistent session: the broker queues for it
	first := pay(t, w, "4.00")
	rowWhere(t, w, first, paytest.StandA, "claimed by c1", func(r model.OutboxRow) bool { return r.Attempts >= 1 })
	c1.stop()
	second := pay(t, w, "5.00") // written while no dispatcher runs
	b.Restart()
	startDispatcher(t, w, b, nil)
	s.Restart()
	for _, no := range []string{first, second} {
		rowState(t, w, no, paytest.StandA, model.OutboxDelivered)
	}
	var paid []string
	for _, m := range s.Got() {
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
	mqtttest.WaitFor(t, "template row delivered", func() bool {
		rs, _ := w.St.OutboxByRef(context.Background(), no)
		for _, r := range rs {
			if r.Kind == model.OutboxTemplate {
				return r.State == model.OutboxDelivered
			}
		}
		return false
	})
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
