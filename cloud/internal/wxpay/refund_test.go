package wxpay

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/qrstand/qrstand/cloud/internal/wechatsim"
)

// TestConcurrentIdenticalRefunds: ten identical refunds at once make one
// refund; every caller gets its id. Then it settles and is announced.
func TestConcurrentIdenticalRefunds(t *testing.T) {
	e := newEnv(t)
	e.paid(t, "QRS-REFUND-0001", 1250)
	e.waitNotifies(t, 1)

	var wg sync.WaitGroup
	results := make([]RefundResult, 10)
	errs := make([]error, 10)
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = e.client.Refund(context.Background(), RefundRequest{
				SubMchID: testSubMchID, OutTradeNo: "QRS-REFUND-0001", OutRefundNo: "QRS-REFUND-0001-R1",
				RefundFen: 500, TotalFen: 1250, Reason: "顾客退菜",
			})
		}()
	}
	wg.Wait()
	for i := range 10 {
		if errs[i] != nil {
			t.Fatalf("refund %d: %v", i, errs[i])
		}
		if results[i].RefundID != results[0].RefundID || results[i].RefundFen != 500 {
			t.Errorf("refund %d = %+v, first %+v", i, results[i], results[0])
		}
	}
	if rs := e.sim.Refunds(); len(rs) != 1 || rs[0].RefundFen != 500 {
		t.Fatalf("simulator holds refunds %+v, want exactly one of 500 fen", rs)
	}
	if o, _ := e.sim.Order(testSpMchID, "QRS-REFUND-0001"); o.RefundedFen != 500 {
		t.Fatalf("order refunded %d fen, want 500", o.RefundedFen)
	}

	ns := e.waitNotifies(t, 2)
	rn := ns[1].Refund
	if ns[1].EventType != "REFUND.SUCCESS" || rn == nil || rn.OutRefundNo != "QRS-REFUND-0001-R1" ||
		rn.Amount.Refund != 500 || rn.RefundStatus != "SUCCESS" || rn.SubMchID != testSubMchID {
		t.Fatalf("refund notify = %+v %+v", ns[1], rn)
	}
	q, err := e.client.QueryRefund(context.Background(), testSubMchID, "QRS-REFUND-0001-R1")
	if err != nil || q.Status != RefundSuccess || q.RefundID != results[0].RefundID || q.SuccessTime.IsZero() {
		t.Fatalf("QueryRefund = %+v, %v", q, err)
	}
}

// TestOverRefund: partial refunds add up to the total and no further.
func TestOverRefund(t *testing.T) {
	e := newEnv(t)
	e.paid(t, "QRS-REFUND-0002", 1250)
	ctx := context.Background()
	refund := func(no string, fen int64) error {
		_, err := e.client.Refund(ctx, RefundRequest{
			SubMchID: testSubMchID, OutTradeNo: "QRS-REFUND-0002", OutRefundNo: no, RefundFen: fen, TotalFen: 1250,
		})
		return err
	}
	if err := refund("R2-A", 500); err != nil {
		t.Fatal(err)
	}
	if err := refund("R2-B", 800); !errors.Is(err, ErrInvalidReq) || errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("over-refund err = %v, want ErrInvalidReq", err)
	}
	if err := refund("R2-C", 750); err != nil {
		t.Fatalf("refund of the rest: %v", err)
	}
	if err := refund("R2-D", 1); !errors.Is(err, ErrInvalidReq) {
		t.Fatalf("refund past zero err = %v, want ErrInvalidReq", err)
	}
	// Same out_refund_no with another amount is refused, not a new refund.
	if err := refund("R2-A", 400); !errors.Is(err, ErrInvalidReq) {
		t.Fatalf("changed repeat err = %v, want ErrInvalidReq", err)
	}
	if o, _ := e.sim.Order(testSpMchID, "QRS-REFUND-0002"); o.RefundedFen != 1250 || o.State != wechatsim.StateRefund {
		t.Fatalf("order = %+v", o)
	}
	if len(e.sim.Refunds()) != 2 {
		t.Fatalf("refunds = %+v", e.sim.Refunds())
	}
	// Unpaid orders cannot be refunded; unknown refunds are not found.
	e.prepay(t, "QRS-REFUND-0003", 100)
	_, err := e.client.Refund(ctx, RefundRequest{SubMchID: testSubMchID, OutTradeNo: "QRS-REFUND-0003", OutRefundNo: "R3", RefundFen: 100, TotalFen: 100})
	if !errors.Is(err, ErrInvalidReq) {
		t.Fatalf("refund of unpaid order err = %v", err)
	}
	if _, err := e.client.QueryRefund(ctx, testSubMchID, "R-NONE"); !errors.Is(err, ErrOrderNotExist) {
		t.Fatalf("QueryRefund unknown err = %v", err)
	}
}
