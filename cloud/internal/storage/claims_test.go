package storage_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/dbtest"
	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/storage"
	"github.com/qrstand/qrstand/mqtt"
)

// A node that claims rows and dies holds them only for the lease: until
// then another node's claim finds nothing, afterwards it takes them over.
func TestOutboxLeaseTakeover(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *storage.Storage) {
		ctx := context.Background()
		paidStore(t, s, 3)
		a, b := s.ForNode("node-a"), s.ForNode("node-b")
		now := time.Now()
		lease := func(int) time.Duration { return 30 * time.Second }
		rows, err := a.ClaimOutbox(ctx, now, 100, lease)
		if err != nil || len(rows) != 6 {
			t.Fatalf("node a claimed %d rows, %v; want 6", len(rows), err)
		}
		for _, r := range rows {
			if r.ClaimedBy != "node-a" {
				t.Fatalf("claimed_by %q", r.ClaimedBy)
			}
		}
		// node a dies here without acking anything.
		if got, err := b.ClaimOutbox(ctx, now.Add(29*time.Second), 100, lease); err != nil || len(got) != 0 {
			t.Fatalf("node b took %d rows inside node a's lease (%v)", len(got), err)
		}
		got, err := b.ClaimOutbox(ctx, now.Add(30*time.Second), 100, lease)
		if err != nil || len(got) != 6 {
			t.Fatalf("node b took over %d rows after the lease, %v; want 6", len(got), err)
		}
		stored, _ := s.OutboxByRef(ctx, "QCLAIM00000000")
		for _, r := range stored {
			if r.ClaimedBy != "node-b" || r.Attempts != 2 {
				t.Errorf("row after takeover: claimed_by %q attempts %d", r.ClaimedBy, r.Attempts)
			}
		}
	})
}

// Reconcilers on several nodes split the unpaid orders: each order is
// handed to exactly one of them until its lease runs out.
func TestClaimUnpaidOrdersSplit(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *storage.Storage) {
		ctx := context.Background()
		st := paidStore(t, s, 0)
		now := time.Now()
		for i := range 30 {
			no := "QUNPAID" + string(rune('A'+i/10)) + string(rune('0'+i%10))
			if err := s.CreateOrder(ctx, model.Order{OutTradeNo: no, StoreID: st.ID, MerchantID: st.MerchantID, ProviderID: providerOf(t, s, st),
				SpMchID: "1900000001", SubMchID: "19000001", AmountFen: 100, CreatedAt: now.Add(-time.Hour), TimeExpire: now}); err != nil {
				t.Fatal(err)
			}
		}
		var mu sync.Mutex
		seen := map[string]int{}
		var wg sync.WaitGroup
		for n := range 3 {
			node := s.ForNode(string(rune('a' + n)))
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					os, err := node.ClaimUnpaidOrders(ctx, now, now.Add(-time.Minute), time.Minute, 4)
					if err != nil {
						t.Error(err)
						return
					}
					if len(os) == 0 {
						return
					}
					mu.Lock()
					for _, o := range os {
						seen[o.OutTradeNo]++
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(seen) != 30 {
			t.Fatalf("claimed %d distinct orders, want 30", len(seen))
		}
		for no, n := range seen {
			if n != 1 {
				t.Errorf("order %s handed out %d times", no, n)
			}
		}
		if again, _ := s.ClaimUnpaidOrders(ctx, now.Add(59*time.Second), now, time.Minute, 100); len(again) != 0 {
			t.Errorf("%d orders handed out again inside the lease", len(again))
		}
		if again, _ := s.ClaimUnpaidOrders(ctx, now.Add(time.Minute), now, time.Minute, 100); len(again) != 30 {
			t.Errorf("%d orders after the lease, want 30", len(again))
		}
	})
}

// Delivered rows older than the retention go, in batches; pending rows and
// recent deliveries stay.
func TestPurgeOutbox(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *storage.Storage) {
		ctx := context.Background()
		paidStore(t, s, 6) // 12 rows
		now := time.Now()
		rows, err := s.ClaimOutbox(ctx, now, 100, func(int) time.Duration { return time.Minute })
		if err != nil || len(rows) != 12 {
			t.Fatal(len(rows), err)
		}
		old, recent := 0, 0
		for i, r := range rows {
			switch {
			case i < 7:
				s.OutboxAcked(ctx, r.StandID, r.ID, now.Add(-8*24*time.Hour))
				old++
			case i < 10:
				s.OutboxAcked(ctx, r.StandID, r.ID, now.Add(-time.Hour))
				recent++
			}
		}
		n, err := s.PurgeOutbox(ctx, now.Add(-7*24*time.Hour), 2)
		if err != nil || n != old {
			t.Fatalf("purged %d (%v), want %d", n, err, old)
		}
		counts, _ := s.OutboxCounts(ctx)
		if counts[model.OutboxDelivered] != recent || counts[model.OutboxPending] != 12-old-recent {
			t.Errorf("left %v, want %d delivered and %d pending", counts, recent, 12-old-recent)
		}
		if n, err := s.PurgeOutbox(ctx, now.Add(-7*24*time.Hour), 2); n != 0 || err != nil {
			t.Errorf("second purge: %d %v", n, err)
		}
	})
}

func providerOf(t *testing.T, s *storage.Storage, st model.Store) string {
	t.Helper()
	m, err := s.Merchant(context.Background(), st.MerchantID)
	if err != nil {
		t.Fatal(err)
	}
	return m.ProviderID
}

// With several nodes, a node sending a stand's pending rows leaves those
// another node holds under a live lease; its own and unclaimed rows go.
func TestStandPendingLeavesOtherNodesLeases(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *storage.Storage) {
		ctx := context.Background()
		paidStore(t, s, 2) // seq 1, 2 per stand
		a, b := s.ForNode("node-a"), s.ForNode("node-b")
		now := time.Now()
		got, err := a.StandPending(ctx, "qrs-claim-0001", now.Add(time.Minute))
		if err != nil || len(got) != 2 {
			t.Fatalf("node a: %d rows, %v", len(got), err)
		}
		paidStore2(t, s, "QCLAIMX") // seq 3 arrives, unclaimed
		got, err = b.StandPending(ctx, "qrs-claim-0001", now.Add(time.Minute))
		if err != nil || len(got) != 1 || got[0].Seq != 3 {
			t.Fatalf("node b took %d rows (%v), want only seq 3", len(got), err)
		}
		// A single node's own leases never hold it back.
		if got, _ := a.StandPending(ctx, "qrs-claim-0001", now.Add(time.Minute)); len(got) != 2 {
			t.Errorf("node a again: %d rows, want its own 2", len(got))
		}
	})
}

// paidStore2 adds one paid order to the store paidStore made.
func paidStore2(t *testing.T, s *storage.Storage, no string) {
	t.Helper()
	ctx := context.Background()
	st, err := s.Stand(ctx, "qrs-claim-0001")
	if err != nil {
		t.Fatal(err)
	}
	store, _ := s.Store(ctx, st.StoreID)
	now := time.Now()
	if err := s.CreateOrder(ctx, model.Order{OutTradeNo: no, StoreID: store.ID, MerchantID: store.MerchantID, ProviderID: providerOf(t, s, store), SpMchID: "1900000001",
		SubMchID: "19000001", AmountFen: 100, CreatedAt: now, TimeExpire: now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.MarkPaid(ctx, storage.Paid{OutTradeNo: no, TransactionID: "t" + no, PaidAt: now, Via: "notify"}, now,
		func(o model.Order) (storage.Envelopes, error) {
			return storage.Envelopes{Stand: &mqtt.PaymentPaid{OrderNo: o.OutTradeNo, Channel: mqtt.ChannelWeChat, AmountFen: o.AmountFen, PaidAt: o.PaidAt, StoreID: o.StoreID}}, nil
		}); err != nil {
		t.Fatal(err)
	}
}
