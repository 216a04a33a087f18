package storage_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/database"
	"github.com/qrstand/qrstand/cloud/internal/dbtest"
	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/storage"
	"github.com/qrstand/qrstand/mqtt"
)

// waitBatch waits until cond holds for the paid group commit's state.
func waitBatch(t *testing.T, s *storage.Storage, what string, cond func(queued int, running bool) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond(storage.PaidBatchState(s)) {
		if time.Now().After(deadline) {
			q, r := storage.PaidBatchState(s)
			t.Fatalf("waiting for %s: queued %d, running %v", what, q, r)
		}
		time.Sleep(time.Millisecond)
	}
}

type paidResult struct {
	changed bool
	err     error
}

// Notifies queued behind a committing batch share the next transaction,
// and one whose work fails is rolled back alone: its batch-mates commit
// with their outbox rows, and it stays NOTPAY with none.
func TestPaidGroupCommitIsolatesFailure(t *testing.T) {
	s := dbtest.Open(t, database.SQLite)
	ctx := context.Background()
	st := paidStore(t, s, 0)
	now := time.Now()
	orders := make([]string, 4)
	for i := range orders {
		orders[i] = fmt.Sprintf("QBATCH%08d", i)
		if err := s.CreateOrder(ctx, model.Order{OutTradeNo: orders[i], StoreID: st.ID, MerchantID: st.MerchantID, ProviderID: "p", SpMchID: "1900000001",
			SubMchID: "19000001", AmountFen: 100, CreatedAt: now, TimeExpire: now.Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	before, err := s.OutboxCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Hold SQLite's write lock so the first batch waits in BEGIN while
	// the others queue behind it.
	hold, err := s.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hold.ExecContext(ctx, `UPDATE stand_seq SET last_seq = last_seq WHERE 0`); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("build failed")
	results := make([]chan paidResult, len(orders))
	markPaid := func(i int) {
		results[i] = make(chan paidResult, 1)
		go func() {
			_, changed, err := s.MarkPaid(ctx, storage.Paid{OutTradeNo: orders[i], TransactionID: "t" + orders[i], PaidAt: now, Via: "notify"}, now,
				func(o model.Order) (storage.Envelopes, error) {
					if i == 1 {
						return storage.Envelopes{}, boom
					}
					return storage.Envelopes{Stand: &mqtt.PaymentPaid{OrderNo: o.OutTradeNo, Channel: mqtt.ChannelWeChat, AmountFen: o.AmountFen, PaidAt: o.PaidAt, StoreID: o.StoreID}}, nil
				})
			results[i] <- paidResult{changed, err}
		}()
	}
	markPaid(0)
	waitBatch(t, s, "the first batch to take its item", func(q int, r bool) bool { return r && q == 0 })
	for i := 1; i < len(orders); i++ {
		markPaid(i)
	}
	waitBatch(t, s, "three items queued", func(q int, _ bool) bool { return q == 3 })
	if err := hold.Rollback(); err != nil {
		t.Fatal(err)
	}
	for i := range orders {
		r := <-results[i]
		if i == 1 {
			if !errors.Is(r.err, boom) || r.changed {
				t.Errorf("failing item: changed %v, err %v; want %v", r.changed, r.err, boom)
			}
			continue
		}
		if r.err != nil || !r.changed {
			t.Errorf("item %d: changed %v, err %v", i, r.changed, r.err)
		}
	}
	for i, no := range orders {
		o, err := s.Order(ctx, no)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[bool]string{true: model.OrderNotPay, false: model.OrderSuccess}[i == 1]; o.State != want {
			t.Errorf("order %d is %s, want %s", i, o.State, want)
		}
	}
	after, err := s.OutboxCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Three paid orders, one row per stand (paidStore pairs two).
	if got := after[model.OutboxPending] - before[model.OutboxPending]; got != 6 {
		t.Errorf("%d new outbox rows, want 6", got)
	}
	waitBatch(t, s, "the batcher to go idle", func(q int, r bool) bool { return !r && q == 0 })
}

// A notify's deadline bounds its wait for the batch even when the
// database stays locked, and a cancelled caller's item is not written.
func TestPaidGroupCommitDeadline(t *testing.T) {
	s := dbtest.Open(t, database.SQLite)
	ctx := context.Background()
	st := paidStore(t, s, 0)
	now := time.Now()
	for _, no := range []string{"QLATE0001", "QGONE0001"} {
		if err := s.CreateOrder(ctx, model.Order{OutTradeNo: no, StoreID: st.ID, MerchantID: st.MerchantID, ProviderID: "p", SpMchID: "1900000001",
			SubMchID: "19000001", AmountFen: 100, CreatedAt: now, TimeExpire: now.Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	build := func(o model.Order) (storage.Envelopes, error) { return storage.Envelopes{}, nil }

	gone, cancel := context.WithCancel(ctx)
	cancel()
	if _, changed, err := s.MarkPaid(gone, storage.Paid{OutTradeNo: "QGONE0001", PaidAt: now, Via: "notify"}, now, build); !errors.Is(err, context.Canceled) || changed {
		t.Errorf("cancelled caller: changed %v, err %v", changed, err)
	}
	waitBatch(t, s, "the batcher to go idle", func(q int, r bool) bool { return !r && q == 0 })
	if o, err := s.Order(ctx, "QGONE0001"); err != nil || o.State != model.OrderNotPay {
		t.Errorf("cancelled caller's order: %v %v, want NOTPAY", o.State, err)
	}

	hold, err := s.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Rollback()
	if _, err := hold.ExecContext(ctx, `UPDATE stand_seq SET last_seq = last_seq WHERE 0`); err != nil {
		t.Fatal(err)
	}
	late, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, changed, err := s.MarkPaid(late, storage.Paid{OutTradeNo: "QLATE0001", PaidAt: now, Via: "notify"}, now, build); !errors.Is(err, context.DeadlineExceeded) || changed {
		t.Errorf("locked database: changed %v, err %v; want the deadline", changed, err)
	}
}

// Many concurrent MarkPaid calls all commit, each exactly once.
func TestPaidGroupCommitConcurrent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *storage.Storage) {
		ctx := context.Background()
		st := paidStore(t, s, 0)
		now := time.Now()
		const n = 40
		errs := make(chan error, n)
		for i := range n {
			no := fmt.Sprintf("QCONC%08d", i)
			if err := s.CreateOrder(ctx, model.Order{OutTradeNo: no, StoreID: st.ID, MerchantID: st.MerchantID, ProviderID: "p", SpMchID: "1900000001",
				SubMchID: "19000001", AmountFen: 100, CreatedAt: now, TimeExpire: now.Add(time.Minute)}); err != nil {
				t.Fatal(err)
			}
			go func() {
				_, changed, err := s.MarkPaid(ctx, storage.Paid{OutTradeNo: no, TransactionID: "t" + no, PaidAt: now, Via: "notify"}, now,
					func(o model.Order) (storage.Envelopes, error) {
						return storage.Envelopes{Stand: &mqtt.PaymentPaid{OrderNo: o.OutTradeNo, Channel: mqtt.ChannelWeChat, AmountFen: o.AmountFen, PaidAt: o.PaidAt, StoreID: o.StoreID}}, nil
					})
				if err == nil && !changed {
					err = fmt.Errorf("%s not changed", no)
				}
				errs <- err
			}()
		}
		for range n {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
		counts, err := s.OutboxCounts(ctx)
		if err != nil || counts[model.OutboxPending] != 2*n {
			t.Errorf("outbox %v, want %d pending; %v", counts, 2*n, err)
		}
	})
}

// BenchmarkMarkPaid isolates the group commit from the notify's crypto
// and reads: MarkPaid (NOTPAY→SUCCESS plus one stand row to each of two
// stands) on SQLite synchronous=FULL, beside raw-durable-1row, one-row
// write transactions one after another on the same kind of database, in
// the same process. ratio-to-raw = MarkPaid/s ÷ raw txn/s; above 1 means
// calls share fsyncs.
func BenchmarkMarkPaid(b *testing.B) {
	var raw float64
	b.Run("raw-durable-1row", func(b *testing.B) {
		db := dbtest.OpenDB(b, database.SQLite)
		ctx := context.Background()
		if _, err := db.ExecContext(ctx, `CREATE TABLE bench_raw (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		start := time.Now()
		for i := range b.N {
			if _, err := db.ExecContext(ctx, `INSERT INTO bench_raw (id, v) VALUES (?, ?)`, i, "paid"); err != nil {
				b.Fatal(err)
			}
		}
		raw = float64(b.N) / time.Since(start).Seconds()
		b.ReportMetric(raw, "txn/s")
	})
	for _, c := range []struct{ par, stores int }{{1, 1}, {8, 1}, {8, 8}} {
		b.Run(fmt.Sprintf("inflight=%d/stores=%d", c.par, c.stores), func(b *testing.B) {
			rate := benchMarkPaid(b, c.par, c.stores)
			if raw > 0 {
				b.ReportMetric(rate/raw, "ratio-to-raw")
			}
		})
	}
}

func benchMarkPaid(b *testing.B, par, stores int) float64 {
	s := dbtest.Open(b, database.SQLite)
	ctx := context.Background()
	now := time.Now()
	p, err := s.CreateProvider(ctx, "P", "1900000001", "wx", model.ProviderSecrets{}, now)
	if err != nil {
		b.Fatal(err)
	}
	m, _, _, err := s.CreateMerchant(ctx, p.ID, storage.MerchantInput{Name: "面馆", SubMchID: "19000001", AdminName: "a"}, time.Hour, now)
	if err != nil {
		b.Fatal(err)
	}
	var storeIDs []string
	for k := range stores {
		st, _, _, err := s.CreateStore(ctx, m.ID, storage.StoreInput{Name: fmt.Sprintf("%d 号店", k)}, time.Hour, now)
		if err != nil {
			b.Fatal(err)
		}
		for _, sfx := range []string{"a", "b"} {
			id := fmt.Sprintf("qrs-bench-%03d%s", k, sfx)
			if _, err := s.RegisterStand(ctx, id, "secret", now); err != nil {
				b.Fatal(err)
			}
			s.SetPairCode(ctx, id, "11112222", now.Add(time.Hour))
			if _, err := s.PairStand(ctx, id, "11112222", st.ID, now); err != nil {
				b.Fatal(err)
			}
		}
		storeIDs = append(storeIDs, st.ID)
	}
	nos := make(chan string, b.N)
	for i := range b.N {
		no := fmt.Sprintf("QBENCH%08d", i)
		if err := s.CreateOrder(ctx, model.Order{OutTradeNo: no, StoreID: storeIDs[i%stores], MerchantID: m.ID, ProviderID: p.ID, SpMchID: "1900000001",
			SubMchID: "19000001", AmountFen: 100, CreatedAt: now, TimeExpire: now.Add(time.Minute)}); err != nil {
			b.Fatal(err)
		}
		nos <- no
	}
	close(nos)
	build := func(o model.Order) (storage.Envelopes, error) {
		return storage.Envelopes{Stand: &mqtt.PaymentPaid{OrderNo: o.OutTradeNo, Channel: mqtt.ChannelWeChat, AmountFen: o.AmountFen, PaidAt: o.PaidAt, StoreID: o.StoreID}}, nil
	}
	batches0 := storage.PaidBatches(s)
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for range par {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for no := range nos {
				if _, changed, err := s.MarkPaid(ctx, storage.Paid{OutTradeNo: no, TransactionID: "t" + no, PaidAt: now, Via: "notify"}, now, build); err != nil || !changed {
					b.Errorf("MarkPaid %s: %v %v", no, changed, err)
				}
			}
		}()
	}
	wg.Wait()
	rate := float64(b.N) / time.Since(start).Seconds()
	b.StopTimer()
	b.ReportMetric(rate, "paid/s")
	b.ReportMetric(float64(b.N)/float64(storage.PaidBatches(s)-batches0), "paid/batch")
	counts, err := s.OutboxCounts(ctx)
	if err != nil || counts[model.OutboxPending] != 2*b.N {
		b.Fatalf("outbox %v, want %d pending; %v", counts, 2*b.N, err)
	}
	return rate
}
