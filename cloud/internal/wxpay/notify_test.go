package wxpay

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"

	"github.com/qrstand/qrstand/cloud/internal/wechatsim"
)

// TestDuplicateNotifiesSequential: WeChat resends an acknowledged notify;
// every copy reaches the callback verified, with the same id (the cloud
// dedupes on it and on the order's state).
func TestDuplicateNotifiesSequential(t *testing.T) {
	e := newEnv(t)
	e.sim.SetFaults(wechatsim.Faults{DuplicateNotifies: 3})
	e.paid(t, "QRS-DUP-SEQ-01", 880)
	ns := e.waitNotifies(t, 4)
	ds := e.waitDeliveries(t, func(ds []wechatsim.Delivery) bool { return len(ds) == 4 })
	for i, n := range ns {
		if n.ID != ns[0].ID || n.Transaction == nil || n.Transaction.OutTradeNo != "QRS-DUP-SEQ-01" || n.Transaction.AmountFen != 880 {
			t.Errorf("notify %d = %+v", i, n)
		}
	}
	if got := countAcked(ds); got != 4 {
		t.Errorf("acknowledged deliveries = %d, want 4: %+v", got, ds)
	}
}

// TestConcurrentNotifies: ten identical notifies at once all arrive
// verified.
func TestConcurrentNotifies(t *testing.T) {
	e := newEnv(t)
	e.sim.SetFaults(wechatsim.Faults{ConcurrentNotifies: 10})
	e.paid(t, "QRS-DUP-CON-01", 990)
	ns := e.waitNotifies(t, 10)
	ds := e.waitDeliveries(t, func(ds []wechatsim.Delivery) bool { return len(ds) == 10 })
	ids := map[string]int{}
	for _, n := range ns {
		ids[n.ID]++
		if n.Transaction == nil || n.Transaction.AmountFen != 990 {
			t.Errorf("notify = %+v", n)
		}
	}
	if len(ids) != 1 || countAcked(ds) != 10 {
		t.Errorf("ids %v, acked %d of %d", ids, countAcked(ds), len(ds))
	}
}

// TestSignTestProbe: a WECHATPAY/SIGNTEST/ probe is answered 401 and never
// reaches the callback; the real notify that follows is accepted.
func TestSignTestProbe(t *testing.T) {
	e := newEnv(t)
	e.sim.SetFaults(wechatsim.Faults{SignTestProbe: true})
	e.paid(t, "QRS-SIGNTEST-01", 100)
	ds := e.waitDeliveries(t, func(ds []wechatsim.Delivery) bool { return countAcked(ds) == 1 })
	if len(ds) != 2 || ds[0].Fault != "signtest" || ds[0].Status != http.StatusUnauthorized ||
		ds[1].Fault != "" || ds[1].Status != http.StatusOK {
		t.Fatalf("deliveries = %+v", ds)
	}
	if ns := e.notifies(); len(ns) != 1 {
		t.Fatalf("callback ran %d times, want 1", len(ns))
	}
}

// TestSpoiledNotifies: each spoiled first delivery is rejected with the
// right status and never reaches the callback; the resend on WeChat's
// schedule is accepted.
func TestSpoiledNotifies(t *testing.T) {
	tests := []struct {
		name   string
		faults wechatsim.Faults
		fault  string
		status int
	}{
		{"stale timestamp", wechatsim.Faults{StaleTimestamp: true}, "stale-timestamp", http.StatusUnauthorized},
		{"wrong serial", wechatsim.Faults{WrongSerial: true}, "wrong-serial", http.StatusUnauthorized},
		{"tampered ciphertext", wechatsim.Faults{TamperCiphertext: true}, "tampered-ciphertext", http.StatusBadRequest},
		{"13-byte nonce", wechatsim.Faults{BadNonce: true}, "13-byte-nonce", http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.sim.SetFaults(tt.faults)
			e.paid(t, "QRS-SPOIL-0001", 100)
			ds := e.waitDeliveries(t, func(ds []wechatsim.Delivery) bool { return countAcked(ds) == 1 })
			if len(ds) != 2 || ds[0].Fault != tt.fault || ds[0].Status != tt.status || ds[1].Attempt != 2 || ds[1].Status != http.StatusOK {
				t.Fatalf("deliveries = %+v", ds)
			}
			if ns := e.notifies(); len(ns) != 1 || ns[0].Transaction.OutTradeNo != "QRS-SPOIL-0001" {
				t.Fatalf("callback got %+v", ns)
			}
		})
	}
}

// TestParseNotifyErrors checks the typed errors ParseNotify returns for
// each spoiled notify, captured as it arrives.
func TestParseNotifyErrors(t *testing.T) {
	tests := []struct {
		name   string
		faults wechatsim.Faults
		want   error
	}{
		{"signtest", wechatsim.Faults{SignTestProbe: true}, ErrSignTest},
		{"stale timestamp", wechatsim.Faults{StaleTimestamp: true}, ErrBadSignature},
		{"wrong serial", wechatsim.Faults{WrongSerial: true}, ErrBadSignature},
		{"tampered ciphertext", wechatsim.Faults{TamperCiphertext: true}, ErrBadNotify},
		{"13-byte nonce", wechatsim.Faults{BadNonce: true}, ErrBadNotify},
		{"good", wechatsim.Faults{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			var mu sync.Mutex
			var first error
			seen := false
			// Replace the receiver's handler with one that records the
			// first ParseNotify result and acknowledges everything.
			e.rcvSrv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, err := e.client.ParseNotify(r)
				mu.Lock()
				if !seen {
					first, seen = err, true
				}
				mu.Unlock()
				w.WriteHeader(http.StatusNoContent)
			})
			e.sim.SetFaults(tt.faults)
			e.paid(t, "QRS-PARSE-0001", 100)
			e.waitDeliveries(t, func(ds []wechatsim.Delivery) bool { return countAcked(ds) >= 1 })
			mu.Lock()
			defer mu.Unlock()
			t.Logf("ParseNotify: %v", first)
			if tt.want == nil {
				if first != nil {
					t.Fatalf("ParseNotify = %v, want nil", first)
				}
				return
			}
			if !errors.Is(first, tt.want) {
				t.Fatalf("ParseNotify = %v, want %v", first, tt.want)
			}
			if tt.want == ErrBadNotify && errors.Is(first, ErrBadSignature) {
				t.Fatalf("ParseNotify = %v: a decryption failure must not look like a signature failure", first)
			}
		})
	}
}

// TestSuppressedNotify: no notify ever comes; the query finds the payment.
func TestSuppressedNotify(t *testing.T) {
	e := newEnv(t)
	e.sim.SetFaults(wechatsim.Faults{SuppressNotify: true})
	e.paid(t, "QRS-SUPPRESS-01", 4200)
	ds := e.sim.Deliveries()
	if len(ds) != 1 || ds[0].Fault != "suppressed" || ds[0].Status != 0 {
		t.Fatalf("deliveries = %+v", ds)
	}
	q, err := e.client.QueryByOutTradeNo(context.Background(), testSubMchID, "QRS-SUPPRESS-01")
	if err != nil || q.TradeState != TradeSuccess || q.AmountFen != 4200 || q.TransactionID == "" {
		t.Fatalf("query = %+v, %v", q, err)
	}
	if n := len(e.notifies()); n != 0 {
		t.Fatalf("callback ran %d times", n)
	}
}

// TestMismatchVisible: a well-signed notify whose amount or sub_mchid
// differs from the order is accepted by the SDK; Notify carries the fields
// so the caller's cross-check can see it, and the callback can reject it.
func TestMismatchVisible(t *testing.T) {
	e := newEnv(t)
	e.mu.Lock()
	e.cbErr = ErrRejectNotify // what the cloud does on a mismatch
	e.mu.Unlock()
	e.sim.SetFaults(wechatsim.Faults{MismatchAmountFen: 1, MismatchSubMchID: "1900000999", SuppressNotify: false})
	e.paid(t, "QRS-MISMATCH-01", 1250)
	ns := e.waitNotifies(t, 1)
	tx := ns[0].Transaction
	if tx.AmountFen != 1251 || tx.SubMchID != "1900000999" || tx.SpMchID != testSpMchID || tx.OutTradeNo != "QRS-MISMATCH-01" {
		t.Fatalf("notify transaction = %+v", tx)
	}
	ds := e.waitDeliveries(t, func(ds []wechatsim.Delivery) bool { return len(ds) >= 1 })
	if ds[0].Status != http.StatusBadRequest {
		t.Fatalf("rejected notify answered %d, want 400", ds[0].Status)
	}
	q, err := e.client.QueryByOutTradeNo(context.Background(), testSubMchID, "QRS-MISMATCH-01")
	if err != nil || q.AmountFen != 1250 || q.SubMchID != testSubMchID {
		t.Fatalf("query = %+v, %v (the truth)", q, err)
	}
}

// TestNotifyCallbackFailureRetried: a 5xx from the callback makes WeChat
// resend; the resend is acknowledged.
func TestNotifyCallbackFailureRetried(t *testing.T) {
	e := newEnv(t)
	e.mu.Lock()
	e.cbErr = errors.New("database down")
	e.mu.Unlock()
	e.paid(t, "QRS-RETRY-0001", 100)
	e.waitNotifies(t, 1)
	e.mu.Lock()
	e.cbErr = nil
	e.mu.Unlock()
	ds := e.waitDeliveries(t, func(ds []wechatsim.Delivery) bool { return countAcked(ds) == 1 })
	if ds[0].Status != http.StatusInternalServerError || !ds[len(ds)-1].Acked() {
		t.Fatalf("deliveries = %+v", ds)
	}
}
