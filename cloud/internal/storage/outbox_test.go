package storage_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/dbtest"
	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/storage"
	"github.com/qrstand/qrstand/mqtt"
)

// paidStore makes a store with two paired stands and n paid orders, each
// with its payment.paid rows in the outbox.
func paidStore(t *testing.T, s *storage.Storage, n int) model.Store {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	p, _ := s.CreateProvider(ctx, "P", "1900000001", "wx", model.ProviderSecrets{}, now)
	m, _, _, err := s.CreateMerchant(ctx, p.ID, storage.MerchantInput{Name: "面馆", SubMchID: "19000001", AdminName: "a"}, time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	st, _, _, _ := s.CreateStore(ctx, m.ID, storage.StoreInput{Name: "一号店"}, time.Hour, now)
	for _, id := range []string{"qrs-claim-0001", "qrs-claim-0002"} {
		if _, err := s.RegisterStand(ctx, id, "secret", now); err != nil {
			t.Fatal(err)
		}
		s.SetPairCode(ctx, id, "11112222", now.Add(time.Hour))
		if _, err := s.PairStand(ctx, id, "11112222", st.ID, now); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		no := fmt.Sprintf("QCLAIM%08d", i)
		if err := s.CreateOrder(ctx, model.Order{OutTradeNo: no, StoreID: st.ID, MerchantID: m.ID, ProviderID: p.ID, SpMchID: "1900000001",
			SubMchID: "19000001", AmountFen: 100, CreatedAt: now, TimeExpire: now.Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
		_, changed, err := s.MarkPaid(ctx, storage.Paid{OutTradeNo: no, TransactionID: "t" + no, PaidAt: now, Via: "notify"}, now,
			func(o model.Order) (storage.Envelopes, error) {
				return storage.Envelopes{Stand: &mqtt.PaymentPaid{OrderNo: o.OutTradeNo, Channel: mqtt.ChannelWeChat, AmountFen: o.AmountFen, PaidAt: o.PaidAt, StoreID: o.StoreID}}, nil
			})
		if err != nil || !changed {
			t.Fatalf("MarkPaid %s: %v %v", no, changed, err)
		}
		// A second MarkPaid of the same order writes nothing.
		if _, changed, err := s.MarkPaid(ctx, storage.Paid{OutTradeNo: no, PaidAt: now, Via: "query"}, now,
			func(model.Order) (storage.Envelopes, error) {
				t.Fatal("build called for a repeat")
				return storage.Envelopes{}, nil
			}); err != nil || changed {
			t.Fatalf("repeat MarkPaid %s: %v %v", no, changed, err)
		}
	}
	return st
}

// Concurrent claimers never get the same row (FOR UPDATE SKIP LOCKED on
// PostgreSQL, exclusive write transactions on SQLite); claimed rows come
// back after their backoff; acked rows do not.
func TestClaimOutbox(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *storage.Storage) {
		ctx := context.Background()
		paidStore(t, s, 10)
		now := time.Now()
		retry := func(n int) time.Duration { return time.Duration(n) * time.Minute }
		var mu sync.Mutex
		seen := map[string]int{}
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					rows, err := s.ClaimOutbox(ctx, now, 3, retry)
					if err != nil {
						t.Error(err)
						return
					}
					if len(rows) == 0 {
						return
					}
					mu.Lock()
					for _, r := range rows {
						seen[r.ID]++
						if d := r.NextAt.Sub(now) - time.Minute; r.Attempts != 1 || d < -time.Millisecond || d > time.Millisecond {
							t.Errorf("claimed row %+v", r)
						}
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(seen) != 20 {
			t.Fatalf("claimed %d distinct rows, want 20", len(seen))
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("row %s claimed %d times", id, n)
			}
		}
		// Ack one per stand; after the backoff the other 18 come back.
		acked := 0
		for _, no := range []string{"QCLAIM00000000"} {
			rows, _ := s.OutboxByRef(ctx, no)
			for _, r := range rows {
				if ok, err := s.OutboxAcked(ctx, r.StandID, r.ID, now); !ok || err != nil {
					t.Fatalf("ack: %v %v", ok, err)
				}
				if ok, _ := s.OutboxAcked(ctx, r.StandID, r.ID, now); ok {
					t.Error("second ack reported a change")
				}
				if ok, _ := s.OutboxAcked(ctx, "qrs-other-0001", r.ID, now); ok {
					t.Error("another stand's ack was accepted")
				}
				acked++
			}
		}
		again, err := s.ClaimOutbox(ctx, now.Add(2*time.Minute), 100, retry)
		if err != nil || len(again) != 20-acked {
			t.Fatalf("after backoff: %d rows, %v", len(again), err)
		}
		for _, r := range again {
			if r.Attempts != 2 {
				t.Errorf("attempts %d", r.Attempts)
			}
		}
		// Seqs are 1..10 per stand.
		pend, err := s.StandPending(ctx, "qrs-claim-0001", now)
		if err != nil || len(pend) != 9 || pend[0].Seq != 2 || pend[8].Seq != 10 {
			t.Errorf("pending of stand 1: %d rows, %v", len(pend), err)
		}
	})
}
