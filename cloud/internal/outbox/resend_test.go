package outbox_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/qrstand/qrstand/cloud/internal/database"
	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/outbox"
	"github.com/qrstand/qrstand/cloud/internal/payment/paytest"
	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/mqtttest"
)

// TestLostTailResent: a stand whose journal lost its last events says
// hello with a last_seq below what it acked; the dispatcher sends exactly
// those events again (same ids and seqs, marked resent, announced by a
// sync), the stand's acks deliver them again, and a later payment is an
// ordinary one. A hello that is not behind resends nothing.
func TestLostTailResent(t *testing.T) {
	for _, d := range []database.Dialect{database.SQLite, database.Postgres} {
		t.Run(string(d), func(t *testing.T) { testLostTailResent(t, d) })
	}
}

func testLostTailResent(t *testing.T, dialect database.Dialect) {
	w := paytest.New(t, paytest.Options{Dialect: dialect})
	b := mqtttest.Start(t, mqtttest.Options{Persistent: true})
	secret := b.AddStand(paytest.StandA)
	c := startDispatcher(t, w, b, nil)
	s := mqtttest.StartStand(t, b, paytest.StandA, secret)
	s.Next(mqtt.KindSync)
	var orders []string
	var first []mqtt.Message
	for _, amt := range []string{"1.00", "2.00", "3.00"} {
		no := pay(t, w, amt)
		orders = append(orders, no)
		first = append(first, s.Next(mqtt.KindPaymentPaid))
		rowState(t, w, no, paytest.StandA, model.OutboxDelivered)
	}
	s.Stop()

	s.LoseTail(1)
	s2 := s.Restart() // hello last_seq 1
	if sync := s2.Next(mqtt.KindSync).Body.(*mqtt.Sync); sync.Pending != 2 || sync.ThroughSeq != 3 {
		t.Errorf("sync = %+v, want 2 pending through seq 3", sync)
	}
	for i := 1; i < 3; i++ {
		m := s2.Next(mqtt.KindPaymentPaid)
		if m.ID != first[i].ID || m.Seq != first[i].Seq || !m.Resent {
			t.Errorf("resent %d: id %s seq %d resent %v, want id %s seq %d resent", i, m.ID, m.Seq, m.Resent, first[i].ID, first[i].Seq)
		}
		row := rowState(t, w, orders[i], paytest.StandA, model.OutboxDelivered)
		if row.ID != first[i].ID {
			t.Errorf("row %s delivered, want %s", row.ID, first[i].ID)
		}
	}
	if got := value(c.d.Collectors()[1]); got != 2 {
		t.Errorf("qrstand_outbox_resent_total = %v, want 2", got)
	}
	// The kept event is not sent again.
	no := pay(t, w, "4.00")
	m := s2.Next(mqtt.KindPaymentPaid)
	if m.Body.(*mqtt.PaymentPaid).OrderNo != no || m.Resent || m.Seq != 4 {
		t.Errorf("next event %+v seq %d resent %v, want %s seq 4, not resent", m.Body, m.Seq, m.Resent, no)
	}
	s2.Stop()

	// Its journal whole again (last_seq 4): nothing is resent; the next
	// event after the sync is a new payment.
	s3 := s2.Restart()
	if sync := s3.Next(mqtt.KindSync).Body.(*mqtt.Sync); sync.Pending != 0 {
		t.Errorf("sync = %+v, want nothing pending", sync)
	}
	no = pay(t, w, "5.00")
	if m := s3.Next(mqtt.KindPaymentPaid); m.Body.(*mqtt.PaymentPaid).OrderNo != no || m.Resent {
		t.Errorf("after a sound hello got %+v resent %v, want %s", m.Body, m.Resent, no)
	}
	if got := value(c.d.Collectors()[1]); got != 2 {
		t.Errorf("qrstand_outbox_resent_total = %v, want still 2", got)
	}
}

// TestResendWindow: events older than ResendWindow are not sent again to a
// stand that lost them (they were announced and printed long ago).
func TestResendWindow(t *testing.T) {
	w := paytest.New(t, paytest.Options{})
	b := mqtttest.Start(t, mqtttest.Options{Persistent: true})
	secret := b.AddStand(paytest.StandA)
	startDispatcher(t, w, b, nil, func(c *outbox.Config) { c.ResendWindow = time.Nanosecond })
	s := mqtttest.StartStand(t, b, paytest.StandA, secret)
	s.Next(mqtt.KindSync)
	no1 := pay(t, w, "1.00")
	s.Next(mqtt.KindPaymentPaid)
	// Acked and recorded before the stand goes: an ack lost with the stop
	// would bring the event back as a plain redelivery, not a resend.
	rowState(t, w, no1, paytest.StandA, model.OutboxDelivered)
	s.Stop()
	s.LoseTail(0)
	s2 := s.Restart()
	if sync := s2.Next(mqtt.KindSync).Body.(*mqtt.Sync); sync.Pending != 0 {
		t.Errorf("sync = %+v, want nothing pending", sync)
	}
	no := pay(t, w, "2.00")
	if m := s2.Next(mqtt.KindPaymentPaid); m.Body.(*mqtt.PaymentPaid).OrderNo != no || m.Resent {
		t.Errorf("got %+v resent %v, want only the new %s", m.Body, m.Resent, no)
	}
}

// logBook keeps log records by level.
type logBook struct {
	mu    sync.Mutex
	lines []string
}

func (b *logBook) Enabled(context.Context, slog.Level) bool { return true }
func (b *logBook) WithAttrs([]slog.Attr) slog.Handler       { return b }
func (b *logBook) WithGroup(string) slog.Handler            { return b }
func (b *logBook) Handle(_ context.Context, r slog.Record) error {
	var sb strings.Builder
	sb.WriteString(r.Level.String() + " " + r.Message)
	r.Attrs(func(a slog.Attr) bool { sb.WriteString(" " + a.String()); return true })
	b.mu.Lock()
	b.lines = append(b.lines, sb.String())
	b.mu.Unlock()
	return nil
}

// TestUnmatchedAcksCounted: acks for an unknown id, for another stand's
// row and repeats of a delivered one are counted by reason and logged at
// debug only (a stand can send them as fast as it likes); none delivers
// anything.
func TestUnmatchedAcksCounted(t *testing.T) {
	w := paytest.New(t, paytest.Options{})
	b := mqtttest.Start(t, mqtttest.Options{})
	secret := b.AddStand(paytest.StandA)
	book := &logBook{}
	c := startDispatcher(t, w, b, nil, func(c *outbox.Config) { c.Log = slog.New(book) })
	s := mqtttest.StartStand(t, b, paytest.StandA, secret)
	s.Next(mqtt.KindSync)
	no := pay(t, w, "1.00")
	mine := s.Next(mqtt.KindPaymentPaid)
	rowState(t, w, no, paytest.StandA, model.OutboxDelivered)
	foreign := rowState(t, w, no, paytest.StandB, model.OutboxPending) // stand B is away

	ctx := t.Context()
	acks := map[string]string{
		mqtt.NewID(time.Now()): "unknown",
		foreign.ID:             "foreign",
		mine.ID:                "repeat",
	}
	for i := 0; i < 3; i++ {
		for ref := range acks {
			if _, err := s.Client().Publish(ctx, &mqtt.Ack{Ref: ref, Result: mqtt.AckDone}); err != nil {
				t.Fatal(err)
			}
		}
	}
	vec := c.d.Collectors()[0].(*prometheus.CounterVec)
	sum := func() float64 {
		var n float64
		for _, reason := range acks {
			n += value(vec.WithLabelValues(reason))
		}
		return n
	}
	mqtttest.WaitFor(t, "9 unmatched acks counted", func() bool { return sum() >= 9 })
	for _, reason := range acks {
		if got := value(vec.WithLabelValues(reason)); got != 3 {
			t.Errorf("qrstand_outbox_ack_unmatched_total{reason=%q} = %v, want 3", reason, got)
		}
	}
	rowState(t, w, no, paytest.StandB, model.OutboxPending) // a foreign ack delivers nothing
	book.mu.Lock()
	defer book.mu.Unlock()
	debug := 0
	for _, l := range book.lines {
		if strings.Contains(l, "ack matches no pending row") {
			if !strings.HasPrefix(l, "DEBUG") {
				t.Errorf("logged above debug: %s", l)
			}
			debug++
		}
	}
	if debug != 9 {
		t.Errorf("%d debug lines for unmatched acks, want 9", debug)
	}
}

// value reads one counter.
func value(c prometheus.Collector) float64 {
	ch := make(chan prometheus.Metric, 1)
	c.Collect(ch)
	var m dto.Metric
	if err := (<-ch).Write(&m); err != nil {
		panic(err)
	}
	return m.GetCounter().GetValue()
}

// TestResendOncePerMinute: a stand that keeps saying hello with a low
// last_seq (hostile, or broken) gets its rows reopened once a minute at
// most; the second hello right after the acks reopens nothing.
func TestResendOncePerMinute(t *testing.T) {
	w := paytest.New(t, paytest.Options{})
	b := mqtttest.Start(t, mqtttest.Options{Persistent: true})
	secret := b.AddStand(paytest.StandA)
	c := startDispatcher(t, w, b, nil)
	s := mqtttest.StartStand(t, b, paytest.StandA, secret)
	s.Next(mqtt.KindSync)
	no := pay(t, w, "1.00")
	s.Next(mqtt.KindPaymentPaid)
	rowState(t, w, no, paytest.StandA, model.OutboxDelivered) // acked before the stand goes
	s.Stop()
	s.LoseTail(0)
	s2 := s.Restart()
	s2.Next(mqtt.KindSync)
	if m := s2.Next(mqtt.KindPaymentPaid); !m.Resent {
		t.Fatalf("first loss: %+v not resent", m)
	}
	rowState(t, w, no, paytest.StandA, model.OutboxDelivered)
	s2.Stop()
	s2.LoseTail(0)
	s3 := s2.Restart()
	if sync := s3.Next(mqtt.KindSync).Body.(*mqtt.Sync); sync.Pending != 0 {
		t.Errorf("second hello within a minute: sync %+v, want nothing reopened", sync)
	}
	no2 := pay(t, w, "2.00")
	if m := s3.Next(mqtt.KindPaymentPaid); m.Body.(*mqtt.PaymentPaid).OrderNo != no2 || m.Resent {
		t.Errorf("got %+v resent %v, want only the new %s", m.Body, m.Resent, no2)
	}
	if got := value(c.d.Collectors()[1]); got != 1 {
		t.Errorf("qrstand_outbox_resent_total = %v, want 1", got)
	}
}
