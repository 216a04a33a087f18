package wxpay

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"testing"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/wechatsim"
)

// TestBadResponseSignature: the simulator does the work but signs its 2xx
// answer badly (a SIGNTEST probe); the SDK's verification fails and the
// caller gets ErrOutcomeUnknown; a query then finds the order and a retry
// with the same out_trade_no returns the same prepay_id.
func TestBadResponseSignature(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.sim.SetFaults(wechatsim.Faults{BadResponseSignatures: 1})
	req := PrepayRequest{SubMchID: testSubMchID, OutTradeNo: "QRS-UNKNOWN-01", AmountFen: 300, SpOpenID: testOpenID, Description: "x"}
	_, err := e.client.Prepay(ctx, req)
	if !errors.Is(err, ErrOutcomeUnknown) || !errors.Is(err, ErrBadResponseSignature) {
		t.Fatalf("Prepay err = %v, want ErrOutcomeUnknown and ErrBadResponseSignature", err)
	}
	q, err := e.client.QueryByOutTradeNo(ctx, testSubMchID, "QRS-UNKNOWN-01")
	if err != nil || q.TradeState != TradeNotPay {
		t.Fatalf("query after unknown = %+v, %v", q, err)
	}
	o, _ := e.sim.Order(testSpMchID, "QRS-UNKNOWN-01")
	res, err := e.client.Prepay(ctx, req)
	if err != nil || res.PrepayID != o.PrepayID {
		t.Fatalf("retry = %+v, %v; simulator prepay_id %s", res, err, o.PrepayID)
	}

	// The same for a 204 (close) and a refund.
	e.sim.SetFaults(wechatsim.Faults{BadResponseSignatures: 1})
	if err := e.client.Close(ctx, testSubMchID, "QRS-UNKNOWN-01"); !errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("Close err = %v, want ErrOutcomeUnknown", err)
	}
	e.paid(t, "QRS-UNKNOWN-02", 300)
	e.sim.SetFaults(wechatsim.Faults{BadResponseSignatures: 1})
	rr := RefundRequest{SubMchID: testSubMchID, OutTradeNo: "QRS-UNKNOWN-02", OutRefundNo: "QRS-UNKNOWN-02-R", RefundFen: 300, TotalFen: 300}
	if _, err := e.client.Refund(ctx, rr); !errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("Refund err = %v, want ErrOutcomeUnknown", err)
	}
	r, err := e.client.Refund(ctx, rr) // same out_refund_no: the same refund
	if err != nil || len(e.sim.Refunds()) != 1 || r.RefundID != e.sim.Refunds()[0].RefundID {
		t.Fatalf("refund retry = %+v, %v; simulator %+v", r, err, e.sim.Refunds())
	}
}

// TestServerErrorAndTimeout: a 5xx and a client timeout are "outcome
// unknown" too.
func TestServerErrorAndTimeout(t *testing.T) {
	e := newEnv(t, func(_ *wechatsim.Server, c *Config) { c.Timeout = 300 * time.Millisecond })
	ctx := context.Background()
	req := PrepayRequest{SubMchID: testSubMchID, OutTradeNo: "QRS-5XX-000001", AmountFen: 300, SpOpenID: testOpenID, Description: "x"}

	e.sim.SetFaults(wechatsim.Faults{APIErrors: 1})
	_, err := e.client.Prepay(ctx, req)
	var ae *APIError
	if !errors.Is(err, ErrOutcomeUnknown) || !errors.As(err, &ae) || ae.Status != 500 || ae.Code != "SYSTEM_ERROR" {
		t.Fatalf("5xx err = %v", err)
	}

	e.sim.SetFaults(wechatsim.Faults{SlowAnswers: 1, SlowAnswerDelay: 5 * time.Second})
	_, err = e.client.Prepay(ctx, req)
	if !errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("timeout err = %v, want ErrOutcomeUnknown", err)
	}
	// The slow call did its work: the order exists.
	if q, err := e.client.QueryByOutTradeNo(ctx, testSubMchID, "QRS-5XX-000001"); err != nil || q.TradeState != TradeNotPay {
		t.Fatalf("query = %+v, %v", q, err)
	}
}

// TestRequestSignatureRejected: a client signing with the wrong key gets
// 401 SIGN_ERROR: a definite refusal, not an unknown outcome.
func TestRequestSignatureRejected(t *testing.T) {
	wrong, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(_ *wechatsim.Server, c *Config) { c.PrivateKey = wrong })
	_, err = e.client.QueryByOutTradeNo(context.Background(), testSubMchID, "QRS-ANY-000001")
	if !errors.Is(err, ErrSignRejected) || errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("err = %v, want ErrSignRejected", err)
	}
	e2 := newEnv(t, func(_ *wechatsim.Server, c *Config) { c.MerchantSerial = "0000" })
	if _, err := e2.client.QueryByOutTradeNo(context.Background(), testSubMchID, "QRS-ANY-000001"); !errors.Is(err, ErrSignRejected) {
		t.Fatalf("wrong serial err = %v, want ErrSignRejected", err)
	}
}

// TestWrongPlatformKey: a client configured with another platform key
// cannot verify any answer: every call is outcome-unknown, never trusted.
func TestWrongPlatformKey(t *testing.T) {
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(_ *wechatsim.Server, c *Config) { c.PlatformPublicKey = &other.PublicKey })
	_, err = e.client.Prepay(context.Background(), PrepayRequest{SubMchID: testSubMchID, OutTradeNo: "QRS-WRONGKEY-1", AmountFen: 1, SpOpenID: testOpenID, Description: "x"})
	if !errors.Is(err, ErrOutcomeUnknown) || !errors.Is(err, ErrBadResponseSignature) {
		t.Fatalf("err = %v", err)
	}
}
