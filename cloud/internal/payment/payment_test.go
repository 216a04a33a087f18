package payment_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qrstand/qrstand/cloud/internal/database"
	"github.com/qrstand/qrstand/cloud/internal/dbtest"
	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/money"
	"github.com/qrstand/qrstand/cloud/internal/payment"
	"github.com/qrstand/qrstand/cloud/internal/payment/paytest"
	"github.com/qrstand/qrstand/cloud/internal/storage"
	"github.com/qrstand/qrstand/cloud/internal/wechatsim"
	"github.com/qrstand/qrstand/cloud/internal/wxpay"
	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/mqtttest"
)

// each runs fn on SQLite and PostgreSQL.
func each(t *testing.T, fn func(t *testing.T, d database.Dialect)) {
	for _, d := range dbtest.Dialects() {
		t.Run(string(d), func(t *testing.T) { fn(t, d) })
	}
}

// never is a resend schedule that does not resend within a test.
var never = []time.Duration{time.Hour * 1000}

func order(t testing.TB, w *paytest.World, no string) model.Order {
	t.Helper()
	o, err := w.St.Order(context.Background(), no)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// rowSummary is one outbox row reduced to what the tests compare.
type rowSummary struct {
	Kind, Stand string
	Seq         int64
	To, Type    string
}

func rows(t testing.TB, w *paytest.World, ref string) []rowSummary {
	t.Helper()
	rs, err := w.St.OutboxByRef(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	var out []rowSummary
	for _, r := range rs {
		out = append(out, rowSummary{r.Kind, r.StandID, r.Seq, r.ToOpenID, r.Type})
	}
	return out
}

// paidRows is what one NOTPAY→SUCCESS of the world's store writes.
func paidRows(w *paytest.World) []rowSummary {
	return []rowSummary{
		{model.OutboxStand, paytest.StandA, 1, "", string(mqtt.KindPaymentPaid)},
		{model.OutboxStand, paytest.StandB, 1, "", string(mqtt.KindPaymentPaid)},
		{model.OutboxTemplate, "", 0, w.Clerk.OpenID, "template"},
	}
}

func TestHappyPath(t *testing.T) {
	each(t, func(t *testing.T, d database.Dialect) {
		w := paytest.New(t, paytest.Options{Dialect: d})
		c := w.Place(t, "12.50")
		if c.Order.AmountFen != 1250 || c.Prepay.PrepayID == "" || c.Prepay.JSAPI.PaySign == "" {
			t.Fatalf("created %+v", c)
		}
		if got := order(t, w, c.Order.OutTradeNo).State; got != model.OrderNotPay {
			t.Fatalf("state before paying = %s", got)
		}
		if err := w.Sim.Pay(c.Prepay.PrepayID); err != nil {
			t.Fatal(err)
		}
		w.WaitDeliveries(t, paytest.AckedFor(c.Order.OutTradeNo))
		o := order(t, w, c.Order.OutTradeNo)
		if o.State != model.OrderSuccess || o.PaidVia != "notify" || o.TransactionID == "" || o.OnDutyID != w.Clerk.ID {
			t.Errorf("order after notify: %+v", o)
		}
		if diff := cmp.Diff(rows(t, w, o.OutTradeNo), paidRows(w)); diff != "" {
			t.Errorf("outbox (-got +want)\n%s", diff)
		}
		rs, _ := w.St.OutboxByRef(context.Background(), o.OutTradeNo)
		m, err := mqtt.Unmarshal(rs[0].Payload)
		if err != nil {
			t.Fatal(err)
		}
		p := m.Body.(*mqtt.PaymentPaid)
		if m.ID != rs[0].ID || m.Seq != 1 || p.AmountFen != 1250 || p.OrderNo != o.OutTradeNo || p.StoreName != w.Store.Name || p.Remark != "加辣" || p.Clerk != "小张" {
			t.Errorf("envelope %+v body %+v", m, p)
		}
	})
}

func TestDuplicateNotifies(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults wechatsim.Faults
		acked  int
	}{
		{"sequential", wechatsim.Faults{DuplicateNotifies: 4}, 5},
		{"concurrent", wechatsim.Faults{ConcurrentNotifies: 10}, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			each(t, func(t *testing.T, d database.Dialect) {
				w := paytest.New(t, paytest.Options{Dialect: d})
				w.Sim.SetFaults(tc.faults)
				c := w.Place(t, "8.00")
				if err := w.Sim.Pay(c.Prepay.PrepayID); err != nil {
					t.Fatal(err)
				}
				ds := w.WaitDeliveries(t, func(ds []wechatsim.Delivery) bool {
					n := 0
					for _, d := range ds {
						if d.Acked() {
							n++
						}
					}
					return n >= tc.acked
				})
				for _, d := range ds {
					if !d.Acked() {
						t.Errorf("delivery not acknowledged: %+v", d)
					}
				}
				// One state change: one row per stand, each seq 1, one message.
				if diff := cmp.Diff(rows(t, w, c.Order.OutTradeNo), paidRows(w)); diff != "" {
					t.Errorf("outbox (-got +want)\n%s", diff)
				}
				if o := order(t, w, c.Order.OutTradeNo); o.State != model.OrderSuccess {
					t.Errorf("state %s", o.State)
				}
			})
		})
	}
}

func TestSignTestThenResend(t *testing.T) {
	w := paytest.New(t, paytest.Options{})
	w.Sim.SetFaults(wechatsim.Faults{SignTestProbe: true})
	c := w.Place(t, "3.20")
	if err := w.Sim.Pay(c.Prepay.PrepayID); err != nil {
		t.Fatal(err)
	}
	ds := w.WaitDeliveries(t, paytest.AckedFor(c.Order.OutTradeNo))
	if ds[0].Fault == "" || ds[0].Status < 400 || ds[0].Status > 499 {
		t.Errorf("probe answered %d, want 4xx: %+v", ds[0].Status, ds[0])
	}
	if diff := cmp.Diff(rows(t, w, c.Order.OutTradeNo), paidRows(w)); diff != "" {
		t.Errorf("outbox (-got +want)\n%s", diff)
	}
}

// Spoiled notifies are rejected with 4xx and change nothing; the process
// keeps working (the 13-byte nonce panics inside the SDK) and the order is
// later found by the reconciler's query.
func TestSpoiledNotifiesRejected(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults wechatsim.Faults
	}{
		{"tampered ciphertext", wechatsim.Faults{TamperCiphertext: true}},
		{"wrong serial", wechatsim.Faults{WrongSerial: true}},
		{"stale timestamp", wechatsim.Faults{StaleTimestamp: true}},
		{"13-byte nonce", wechatsim.Faults{BadNonce: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := paytest.New(t, paytest.Options{Retry: never})
			w.Sim.SetFaults(tc.faults)
			c := w.Place(t, "5.00")
			if err := w.Sim.Pay(c.Prepay.PrepayID); err != nil {
				t.Fatal(err)
			}
			ds := w.WaitDeliveries(t, func(ds []wechatsim.Delivery) bool { return len(ds) > 0 && ds[0].Status != 0 })
			if ds[0].Status < 400 || ds[0].Status > 499 {
				t.Errorf("answered %d, want 4xx: %+v", ds[0].Status, ds[0])
			}
			if o := order(t, w, c.Order.OutTradeNo); o.State != model.OrderNotPay {
				t.Errorf("state %s after a spoiled notify", o.State)
			}
			if r := rows(t, w, c.Order.OutTradeNo); len(r) != 0 {
				t.Errorf("outbox rows after a spoiled notify: %+v", r)
			}
			rep, err := w.Svc.Reconcile(context.Background(), 0)
			if err != nil || rep.Paid != 1 {
				t.Fatalf("Reconcile = %+v, %v", rep, err)
			}
			if o := order(t, w, c.Order.OutTradeNo); o.State != model.OrderSuccess || o.PaidVia != "query" {
				t.Errorf("after reconcile: %+v", o)
			}
		})
	}
}

func TestSuppressedNotifyResolvedByQuery(t *testing.T) {
	each(t, func(t *testing.T, d database.Dialect) {
		w := paytest.New(t, paytest.Options{Dialect: d})
		w.Sim.SetFaults(wechatsim.Faults{SuppressNotify: true})
		c := w.Place(t, "66.60")
		other := w.Place(t, "1.00") // not paid: stays NOTPAY
		if err := w.Sim.Pay(c.Prepay.PrepayID); err != nil {
			t.Fatal(err)
		}
		if o := order(t, w, c.Order.OutTradeNo); o.State != model.OrderNotPay {
			t.Fatalf("state %s with no notify", o.State)
		}
		rep, err := w.Svc.Reconcile(context.Background(), 0)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(rep, payment.Reconciled{Queried: 2, Paid: 1}); diff != "" {
			t.Errorf("reconcile (-got +want)\n%s", diff)
		}
		if o := order(t, w, c.Order.OutTradeNo); o.State != model.OrderSuccess || o.PaidVia != "query" {
			t.Errorf("order %+v", o)
		}
		if diff := cmp.Diff(rows(t, w, c.Order.OutTradeNo), paidRows(w)); diff != "" {
			t.Errorf("outbox (-got +want)\n%s", diff)
		}
		if o := order(t, w, other.Order.OutTradeNo); o.State != model.OrderNotPay {
			t.Errorf("unpaid order became %s", o.State)
		}
		// A second pass changes nothing.
		if rep, err := w.Svc.Reconcile(context.Background(), 0); err != nil || rep.Paid != 0 {
			t.Errorf("second pass %+v %v", rep, err)
		}
	})
}

func TestMismatchRejectedAsAlert(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults wechatsim.Faults
	}{
		{"amount", wechatsim.Faults{MismatchAmountFen: 1}},
		{"sub_mchid", wechatsim.Faults{MismatchSubMchID: "1900000999"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := paytest.New(t, paytest.Options{Retry: never})
			w.Sim.SetFaults(tc.faults)
			c := w.Place(t, "20.00")
			if err := w.Sim.Pay(c.Prepay.PrepayID); err != nil {
				t.Fatal(err)
			}
			ds := w.WaitDeliveries(t, func(ds []wechatsim.Delivery) bool { return len(ds) > 0 && ds[0].Status != 0 })
			if ds[0].Status != 400 {
				t.Errorf("answered %d, want 400", ds[0].Status)
			}
			if o := order(t, w, c.Order.OutTradeNo); o.State != model.OrderNotPay {
				t.Errorf("state %s after a mismatched notify", o.State)
			}
			if r := rows(t, w, c.Order.OutTradeNo); len(r) != 0 {
				t.Errorf("outbox rows: %+v", r)
			}
			if got := w.Svc.MismatchCount(); got != 1 {
				t.Errorf("mismatch metric = %v, want 1", got)
			}
			if log := w.Log.String(); !strings.Contains(log, "level=ERROR") || !strings.Contains(log, "ALERT") || !strings.Contains(log, c.Order.OutTradeNo) {
				t.Errorf("no alert logged:\n%s", log)
			}
		})
	}
}

func paidOrder(t testing.TB, w *paytest.World, amount string) model.Order {
	t.Helper()
	w.Sim.SetFaults(wechatsim.Faults{SuppressNotify: true})
	c := w.Place(t, amount)
	if err := w.Sim.Pay(c.Prepay.PrepayID); err != nil {
		t.Fatal(err)
	}
	w.Sim.SetFaults(wechatsim.Faults{})
	if _, err := w.Svc.ApplyTransaction(context.Background(), mustQuery(t, w, c.Order.OutTradeNo), "query"); err != nil {
		t.Fatal(err)
	}
	return order(t, w, c.Order.OutTradeNo)
}

func mustQuery(t testing.TB, w *paytest.World, no string) wxpay.Transaction {
	t.Helper()
	tx, err := w.Client.QueryByOutTradeNo(context.Background(), paytest.SubMchID, no)
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

func waitRefund(t testing.TB, w *paytest.World, no string) model.Refund {
	t.Helper()
	var r model.Refund
	mqtttest.WaitFor(t, "refund "+no+" settled", func() bool {
		var err error
		r, err = w.St.Refund(context.Background(), no)
		return err == nil && r.State == model.RefundSucceeded
	})
	return r
}

func TestConcurrentIdenticalRefunds(t *testing.T) {
	each(t, func(t *testing.T, d database.Dialect) {
		w := paytest.New(t, paytest.Options{Dialect: d})
		o := paidOrder(t, w, "100.00")
		no := payment.NewOutRefundNo()
		var wg sync.WaitGroup
		errs := make([]error, 10)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = w.Svc.Refund(context.Background(), w.AdminRoles(), payment.RefundInput{OutTradeNo: o.OutTradeNo, OutRefundNo: no, AmountFen: 3000, Reason: "少上一碗"})
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("refund %d: %v", i, err)
			}
		}
		if got := len(w.Sim.Refunds()); got != 1 {
			t.Errorf("simulator holds %d refunds, want 1", got)
		}
		waitRefund(t, w, no)
		got := order(t, w, o.OutTradeNo)
		if got.RefundedFen != 3000 || got.State != model.OrderRefund {
			t.Errorf("order after refund: %+v", got)
		}
		rs, _ := w.St.RefundsOf(context.Background(), o.OutTradeNo)
		if len(rs) != 1 {
			t.Errorf("%d refunds stored, want 1", len(rs))
		}
		want := []rowSummary{
			{model.OutboxStand, paytest.StandA, 2, "", string(mqtt.KindPaymentRefunded)},
			{model.OutboxStand, paytest.StandB, 2, "", string(mqtt.KindPaymentRefunded)},
		}
		if diff := cmp.Diff(rows(t, w, no), want); diff != "" {
			t.Errorf("refund outbox (-got +want)\n%s", diff)
		}
		// The settled refund announced again (a duplicate notify or a poll)
		// changes nothing.
		if rep, err := w.Svc.Reconcile(context.Background(), 0); err != nil || rep.Refunds != 0 {
			t.Errorf("reconcile %+v %v", rep, err)
		}
	})
}

func TestOverRefundRejected(t *testing.T) {
	each(t, func(t *testing.T, d database.Dialect) {
		w := paytest.New(t, paytest.Options{Dialect: d})
		o := paidOrder(t, w, "100.00")
		ctx := context.Background()
		if _, err := w.Svc.Refund(ctx, w.AdminRoles(), payment.RefundInput{OutTradeNo: o.OutTradeNo, OutRefundNo: payment.NewOutRefundNo(), AmountFen: 6000}); err != nil {
			t.Fatal(err)
		}
		_, err := w.Svc.Refund(ctx, w.AdminRoles(), payment.RefundInput{OutTradeNo: o.OutTradeNo, OutRefundNo: payment.NewOutRefundNo(), AmountFen: 4001})
		if !errors.Is(err, storage.ErrOverRefund) {
			t.Errorf("over-refund: %v, want ErrOverRefund", err)
		}
		if got := len(w.Sim.Refunds()); got != 1 {
			t.Errorf("simulator holds %d refunds, want 1", got)
		}
		// Exactly what is left is fine.
		if _, err := w.Svc.Refund(ctx, w.AdminRoles(), payment.RefundInput{OutTradeNo: o.OutTradeNo, OutRefundNo: payment.NewOutRefundNo(), AmountFen: 4000}); err != nil {
			t.Errorf("refund of the rest: %v", err)
		}
	})
}

func TestRefundPermission(t *testing.T) {
	w := paytest.New(t, paytest.Options{})
	o := paidOrder(t, w, "10.00")
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		roles []model.Staff
		want  error
	}{
		{"manager without permission", []model.Staff{w.Manager}, payment.ErrForbidden},
		{"clerk without permission", []model.Staff{w.Clerk}, payment.ErrForbidden},
		{"nobody", nil, payment.ErrForbidden},
		{"admin of the merchant", []model.Staff{w.Admin}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := w.Svc.Refund(ctx, tc.roles, payment.RefundInput{OutTradeNo: o.OutTradeNo, OutRefundNo: payment.NewOutRefundNo(), AmountFen: 100})
			if !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestCreateRejectsBadAmounts(t *testing.T) {
	w := paytest.New(t, paytest.Options{})
	if err := w.St.SetStoreLimit(context.Background(), w.Store.ID, 100_00); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		in   string
		want error
	}{
		{"0", money.ErrNotPositive}, {"0.001", money.ErrPrecision}, {"abc", money.ErrInvalid}, {"", money.ErrEmpty}, {"100.01", money.ErrOverLimit},
	} {
		_, err := w.Svc.Create(context.Background(), payment.CreateInput{Store: w.Store, Amount: tc.in, PayerOpenID: paytest.PayerID})
		var ie *money.InputError
		if !errors.Is(err, tc.want) || !errors.As(err, &ie) || ie.ZH == "" {
			t.Errorf("Create(%q) = %v, want %v with a message", tc.in, err, tc.want)
		}
	}
	if n := len(w.Sim.Orders()); n != 0 {
		t.Errorf("simulator got %d orders", n)
	}
}

func TestExpiredOrderClosed(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	w := paytest.New(t, paytest.Options{Now: clock})
	c := w.Place(t, "9.99")
	if rep, err := w.Svc.Reconcile(context.Background(), 0); err != nil || rep.Closed != 0 {
		t.Fatalf("before expiry: %+v %v", rep, err)
	}
	mu.Lock()
	now = now.Add(11 * time.Minute)
	mu.Unlock()
	rep, err := w.Svc.Reconcile(context.Background(), 0)
	if err != nil || rep.Closed != 1 {
		t.Fatalf("after expiry: %+v %v", rep, err)
	}
	if o := order(t, w, c.Order.OutTradeNo); o.State != model.OrderClosed {
		t.Errorf("state %s", o.State)
	}
	if so, _ := w.Sim.Order(paytest.SpMchID, c.Order.OutTradeNo); so.State != wechatsim.StateClosed {
		t.Errorf("simulator state %s", so.State)
	}
}

// Refunds the answers and notifies did not settle are settled by the
// reconciler: a refund whose request failed with an unknown outcome (5xx)
// stays PENDING and is sent again with the same out_refund_no; a PROCESSING
// refund without a notify is queried.
func TestReconcileRefunds(t *testing.T) {
	each(t, func(t *testing.T, d database.Dialect) {
		w := paytest.New(t, paytest.Options{Dialect: d})
		o := paidOrder(t, w, "50.00")
		ctx := context.Background()
		w.Sim.SetFaults(wechatsim.Faults{SuppressNotify: true, APIErrors: 1})
		lost := payment.NewOutRefundNo()
		r, err := w.Svc.Refund(ctx, w.AdminRoles(), payment.RefundInput{OutTradeNo: o.OutTradeNo, OutRefundNo: lost, AmountFen: 1000})
		if err != nil || r.State != model.RefundPending {
			t.Fatalf("refund with a 5xx: %+v %v", r, err)
		}
		quiet := payment.NewOutRefundNo()
		r, err = w.Svc.Refund(ctx, w.AdminRoles(), payment.RefundInput{OutTradeNo: o.OutTradeNo, OutRefundNo: quiet, AmountFen: 500})
		if err != nil || r.State != model.RefundProcessing {
			t.Fatalf("refund: %+v %v", r, err)
		}
		if n := len(w.Sim.Refunds()); n != 1 {
			t.Fatalf("simulator holds %d refunds before reconciling, want 1", n)
		}
		// Refunds settle after RefundDelay (0.5 ms here): reconcile until
		// both are SUCCESS.
		mqtttest.WaitFor(t, "both refunds settled", func() bool {
			if _, err := w.Svc.Reconcile(ctx, 0); err != nil {
				t.Fatal(err)
			}
			a, _ := w.St.Refund(ctx, lost)
			b, _ := w.St.Refund(ctx, quiet)
			return a.State == model.RefundSucceeded && b.State == model.RefundSucceeded
		})
		if n := len(w.Sim.Refunds()); n != 2 {
			t.Errorf("simulator holds %d refunds, want 2", n)
		}
		if got := order(t, w, o.OutTradeNo); got.RefundedFen != 1500 {
			t.Errorf("refunded %d fen, want 1500", got.RefundedFen)
		}
		if n := len(rows(t, w, lost)) + len(rows(t, w, quiet)); n != 4 {
			t.Errorf("%d payment.refunded rows, want 4 (2 refunds × 2 stands)", n)
		}
	})
}
