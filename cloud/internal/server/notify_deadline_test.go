package server

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/payment"
	"github.com/qrstand/qrstand/cloud/internal/wechatsim"
	"github.com/qrstand/qrstand/mqtt"
)

// WeChat's notify is answered within its 5 s even when another
// connection holds the SQLite write lock: the answer is a failure (5xx, so
// WeChat resends), nothing is half-written, and once the lock is released
// WeChat's resend pays the order with exactly one outbox row per stand.
// The simulator posts the notify, signed and encrypted, with WeChat's own
// 5 s client timeout: a late answer would be recorded as no status at all.
func TestNotifyDeadlineUnderWriteLock(t *testing.T) {
	ts := startServer(t)
	st := ts.Storage()
	ctx := context.Background()
	now := time.Now()
	store := newShop(t, ts, plainShop).store
	stands := []string{"qrs-lock-0001", "qrs-lock-0002"}
	for _, id := range stands {
		if _, err := st.RegisterStand(ctx, id, mqtt.NewSecret(), now); err != nil {
			t.Fatal(err)
		}
		if err := st.SetPairCode(ctx, id, "12345678", now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, err := st.PairStand(ctx, id, "12345678", store.ID, now); err != nil {
			t.Fatal(err)
		}
	}
	c, err := ts.Payments().Create(ctx, payment.CreateInput{Store: store, Amount: "12.50", PayerOpenID: "o-payer-000000000000001"})
	if err != nil {
		t.Fatal(err)
	}
	no := c.Order.OutTradeNo

	// Another connection takes the write lock and keeps it.
	other, err := sql.Open("sqlite3", filepath.Join(ts.cfg.DataDir, "cloud.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	lock, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if _, err := lock.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	locked := true
	release := func() {
		if locked {
			locked = false
			if _, err := lock.ExecContext(ctx, `ROLLBACK`); err != nil {
				t.Error(err)
			}
		}
	}
	defer release()

	sim := ts.WeChatPaySim()
	ofOrder := func(ds []wechatsim.Delivery) []wechatsim.Delivery {
		var out []wechatsim.Delivery
		for _, d := range ds {
			if d.OutTradeNo == no {
				out = append(out, d)
			}
		}
		return out
	}
	start := time.Now()
	if err := sim.Pay(c.Prepay.PrepayID); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ds, err := sim.WaitDeliveries(wctx, func(ds []wechatsim.Delivery) bool { return len(ofOrder(ds)) >= 1 })
	if err != nil {
		t.Fatal(err)
	}
	first := ofOrder(ds)[0]
	t.Logf("first notify under the lock: status %d after %v", first.Status, time.Since(start).Round(time.Millisecond))
	if first.Status < 500 || first.Status > 599 {
		t.Fatalf("first notify under a write lock: status %d err %q; want a 5xx within WeChat's 5 s", first.Status, first.Err)
	}
	if o, err := st.Order(ctx, no); err != nil || o.Paid() {
		t.Fatalf("order after the failed notify: %+v %v", o, err)
	}
	if rows, err := st.OutboxByRef(ctx, no); err != nil || len(rows) != 0 {
		t.Fatalf("outbox rows after the failed notify: %d %v", len(rows), err)
	}

	release()
	if _, err := sim.WaitDeliveries(wctx, func(ds []wechatsim.Delivery) bool {
		for _, d := range ofOrder(ds) {
			if d.Acked() {
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatal(err)
	}
	o := waitOrder(t, st, no, model.Order.Paid)
	if o.PaidVia != "notify" {
		t.Errorf("paid via %q, want WeChat's resent notify", o.PaidVia)
	}
	rows, err := st.OutboxByRef(ctx, no)
	if err != nil {
		t.Fatal(err)
	}
	perStand := map[string]int{}
	for _, r := range rows {
		if r.StandID != "" {
			perStand[r.StandID]++
		}
	}
	for _, id := range stands {
		if perStand[id] != 1 {
			t.Errorf("stand %s has %d outbox rows for the order, want 1 (all: %v)", id, perStand[id], perStand)
		}
	}
}
