package wxpay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/wechatsim"
)

// TestNotifyHandlerRejectsForgeries: requests that did not come from WeChat
// get 4xx with WeChat's FAIL body and never reach the callback.
func TestNotifyHandlerRejectsForgeries(t *testing.T) {
	cfg := validConfig(t)
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	called := 0
	h := c.NotifyHandler(func(context.Context, Notify) error { called++; return nil })
	now := time.Now().Unix()
	tests := []struct {
		name   string
		body   string
		header map[string]string
		status int
	}{
		{"no headers", `{"id":"x"}`, nil, http.StatusUnauthorized},
		{"garbage signature", `{"id":"x"}`, map[string]string{
			"Wechatpay-Serial": "PUB_KEY_ID_1", "Wechatpay-Timestamp": itoa(now), "Wechatpay-Nonce": "n", "Wechatpay-Signature": "AAAA",
		}, http.StatusUnauthorized},
		{"signtest", `{"id":"x"}`, map[string]string{
			"Wechatpay-Serial": "PUB_KEY_ID_1", "Wechatpay-Timestamp": itoa(now), "Wechatpay-Nonce": "n", "Wechatpay-Signature": "WECHATPAY/SIGNTEST/AAAA",
		}, http.StatusUnauthorized},
		{"unsupported signature type", `{}`, map[string]string{"Wechatpay-Signature-Type": "SM2"}, http.StatusUnauthorized},
		{"too large", strings.Repeat("x", maxNotifyBody+1), nil, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/wxpay/notify", strings.NewReader(tt.body))
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			var body notifyReply
			_ = json.Unmarshal(w.Body.Bytes(), &body)
			if w.Code != tt.status || body.Code != "FAIL" {
				t.Fatalf("answer %d %s, want %d FAIL", w.Code, w.Body, tt.status)
			}
		})
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/wxpay/notify", nil))
	if w.Code != http.StatusMethodNotAllowed {
		t.Fatalf("GET answered %d", w.Code)
	}
	if called != 0 {
		t.Fatalf("callback ran %d times", called)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// capture records one real notify (body and headers) from the simulator.
func captureNotify(t testing.TB, faults wechatsim.Faults) (http.Header, []byte, *Client) {
	t.Helper()
	e := newEnv(t)
	type req struct {
		h http.Header
		b []byte
	}
	ch := make(chan req, 1)
	e.rcvSrv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(r.Body)
		select {
		case ch <- req{r.Header.Clone(), buf.Bytes()}:
		default:
		}
		w.WriteHeader(http.StatusNoContent)
	})
	e.sim.SetFaults(faults)
	e.paid(t, "QRS-CAPTURE-001", 1250)
	select {
	case got := <-ch:
		return got.h, got.b, e.client
	case <-time.After(10 * time.Second):
		t.Fatal("no notify captured")
	}
	return nil, nil, nil
}

func replay(h http.Header, body []byte) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/wxpay/notify", bytes.NewReader(body))
	r.Header = h.Clone()
	return r
}

// FuzzParseNotify: whatever body arrives with a real notify's headers,
// ParseNotify returns a typed error or a notify, and never panics.
func FuzzParseNotify(f *testing.F) {
	h, body, c := captureNotify(f, wechatsim.Faults{})
	f.Add(body)
	f.Add([]byte(`{"resource":{"algorithm":"AEAD_AES_256_GCM","nonce":"1234567890123","ciphertext":"AAAA"}}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := c.ParseNotify(replay(h, b))
		if err == nil {
			if !bytes.Equal(b, body) || n.Transaction == nil {
				t.Fatalf("accepted a body other than the signed one: %q", b)
			}
			return
		}
		if !errorsIsAny(err, ErrBadSignature, ErrBadNotify) {
			t.Fatalf("untyped error: %v", err)
		}
	})
}

func BenchmarkParseNotify(b *testing.B) {
	h, body, c := captureNotify(b, wechatsim.Faults{})
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.ParseNotify(replay(h, body)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "notifies/s")
}

func BenchmarkPrepayRoundTrip(b *testing.B) {
	e := newEnv(b)
	ctx := context.Background()
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		i++
		_, err := e.client.Prepay(ctx, PrepayRequest{
			SubMchID: testSubMchID, OutTradeNo: "QRS-BENCH-" + itoa(int64(i)), AmountFen: 1250,
			SpOpenID: testOpenID, Description: "bench",
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "prepays/s")
}

func errorsIsAny(err error, targets ...error) bool {
	for _, t := range targets {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}

// TestNotifyCallbackDeadline: a callback that blocks is cut off by the
// NotifyTimeout deadline and the answer is a 500 (WeChat resends), not a
// hang past WeChat's 5 s; a panicking callback is a 500 too.
func TestNotifyCallbackDeadline(t *testing.T) {
	h, body, _ := captureNotify(t, wechatsim.Faults{})
	cfg := validConfig(t)
	_, pk := testKeys(t)
	cfg.PlatformPublicKey = &pk.PublicKey
	cfg.PlatformPublicKeyID = h.Get("Wechatpay-Serial")
	cfg.NotifyTimeout = 50 * time.Millisecond
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		fn   NotifyFunc
		want int
	}{
		{"blocks until deadline", func(ctx context.Context, _ Notify) error { <-ctx.Done(); return ctx.Err() }, http.StatusInternalServerError},
		{"panics", func(context.Context, Notify) error { panic("boom") }, http.StatusInternalServerError},
		{"rejects", func(context.Context, Notify) error { return fmt.Errorf("amount mismatch: %w", ErrRejectNotify) }, http.StatusBadRequest},
		{"accepts", func(context.Context, Notify) error { return nil }, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			c.NotifyHandler(tt.fn).ServeHTTP(w, replay(h, body))
			var got notifyReply
			_ = json.Unmarshal(w.Body.Bytes(), &got)
			wantCode := "FAIL"
			if tt.want == http.StatusOK {
				wantCode = "SUCCESS"
			}
			if w.Code != tt.want || got.Code != wantCode {
				t.Fatalf("answer %d %s, want %d %s", w.Code, w.Body, tt.want, wantCode)
			}
		})
	}
}
