package outbox_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/outbox"
	"github.com/qrstand/qrstand/cloud/internal/payment"
	"github.com/qrstand/qrstand/cloud/internal/payment/paytest"
	"github.com/qrstand/qrstand/cloud/internal/storage"
	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/mqtttest"
)

// BenchmarkPaidToAck: from the commit of a paid order (its outbox row for
// one online stand) to the row marked delivered by the stand's ack, through
// the dispatcher, the embedded broker and mqtt/standclient (SQLite). One
// op = one payment; reports payments/s and the p50/p99 commit→delivered
// latency.
func BenchmarkPaidToAck(b *testing.B) {
	w := paytest.New(b, paytest.Options{})
	br := mqtttest.Start(b, mqtttest.Options{})
	ctx := context.Background()
	// Only stand A is online; stand B's rows would wait, so unpair it.
	if err := w.St.UnpairStand(ctx, paytest.StandB); err != nil {
		b.Fatal(err)
	}
	mqtttest.StartStand(b, br, paytest.StandA, br.AddStand(paytest.StandA))
	d := startDispatcherTB(b, w, br)
	payBurst(b, w, d, b.N, "payments/s")
}

// BenchmarkBurstManyStands: a burst of payments to a store with 50 stands
// (one row per stand per payment), from each commit to the row marked
// delivered by that stand's ack. One op = one payment = 50 rows; reports
// rows/s and the p50/p99 commit→delivered latency.
func BenchmarkBurstManyStands(b *testing.B) {
	const stands = 50
	w := paytest.New(b, paytest.Options{})
	br := mqtttest.Start(b, mqtttest.Options{})
	ctx := context.Background()
	for _, id := range []string{paytest.StandA, paytest.StandB} {
		if err := w.St.UnpairStand(ctx, id); err != nil {
			b.Fatal(err)
		}
	}
	d := startDispatcherTB(b, w, br)
	f := newFleet(b, w, br, stands)
	f.startAll()
	mqtttest.WaitForWithin(b, "every stand's sync", time.Minute, func() bool {
		unsynced, _ := f.missing(nil)
		return len(unsynced) == 0
	})
	payBurst(b, w, d, b.N*stands, "rows/s")
}

// payBurst commits b.N paid orders of w's store as fast as it can, kicking
// the dispatcher d after each, waits until want stand rows are delivered,
// and reports the rows per second (as unit) and the p50/p99
// commit→delivered latency of the stand rows.
func payBurst(b *testing.B, w *paytest.World, d *outbox.Dispatcher, want int, unit string) {
	b.Helper()
	ctx := context.Background()
	now := time.Now()
	nos := make([]string, b.N)
	for i := range nos {
		nos[i] = payment.NewOutTradeNo()
		if err := w.St.CreateOrder(ctx, model.Order{OutTradeNo: nos[i], StoreID: w.Store.ID, MerchantID: w.Store.MerchantID, ProviderID: "p",
			SpMchID: paytest.SpMchID, SubMchID: paytest.SubMchID, AmountFen: 100, CreatedAt: now, TimeExpire: now.Add(time.Minute)}); err != nil {
			b.Fatal(err)
		}
	}
	build := func(o model.Order) (storage.Envelopes, error) {
		return storage.Envelopes{Stand: &mqtt.PaymentPaid{OrderNo: o.OutTradeNo, Channel: mqtt.ChannelWeChat, AmountFen: o.AmountFen, PaidAt: o.PaidAt, StoreID: o.StoreID}}, nil
	}
	b.ResetTimer()
	start := time.Now()
	for i, no := range nos {
		if _, _, err := w.St.MarkPaid(ctx, storage.Paid{OutTradeNo: no, TransactionID: fmt.Sprint(i), PaidAt: time.Now(), Via: "notify"}, time.Now(), build); err != nil {
			b.Fatal(err)
		}
		d.Kick()
	}
	deadline := time.Now().Add(5 * time.Minute)
	for {
		c, err := w.St.OutboxCounts(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if c[model.OutboxDelivered] >= want {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("delivered %d of %d", c[model.OutboxDelivered], want)
		}
		time.Sleep(2 * time.Millisecond) // polling the database for a fact
	}
	elapsed := time.Since(start)
	b.StopTimer()
	var lat []time.Duration
	for _, no := range nos {
		rs, _ := w.St.OutboxByRef(ctx, no)
		for _, r := range rs {
			if r.Kind == model.OutboxStand {
				lat = append(lat, r.DeliveredAt.Sub(r.CreatedAt))
			}
		}
	}
	slices.Sort(lat)
	b.ReportMetric(float64(want)/elapsed.Seconds(), unit)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
