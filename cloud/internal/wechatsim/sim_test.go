package wechatsim

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qrstand/qrstand/mqtt/mqtttest"

	"github.com/google/go-cmp/cmp"
)

var (
	keyOnce         sync.Once
	mchKey, platKey *rsa.PrivateKey
)

func keys(t *testing.T) (*rsa.PrivateKey, *rsa.PrivateKey) {
	t.Helper()
	keyOnce.Do(func() {
		var err error
		if mchKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if platKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	return mchKey, platKey
}

func newSim(t *testing.T) (*Server, *httptest.Server) {
	t.Helper()
	mk, pk := keys(t)
	s := &Server{
		Merchants: []Merchant{{MchID: "1900000100", Name: "服务商", SerialNo: "SERIAL1", PublicKey: &mk.PublicKey,
			APIv3Key: "0123456789abcdefghijklmnopqrstuv", SubMerchants: map[string]string{"1900000109": "老王面馆"}}},
		PlatformKey: pk,
		Speedup:     1000,
	}
	srv := httptest.NewServer(s)
	t.Cleanup(func() { s.Close(); srv.Close() })
	return s, srv
}

// do sends a request signed as merchant 1900000100 (or unsigned when sign
// is false) and returns status, body and headers.
func do(t *testing.T, srv *httptest.Server, method, uri, body string, sign bool) (int, string, http.Header) {
	t.Helper()
	mk, _ := keys(t)
	req, err := http.NewRequest(method, srv.URL+uri, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if sign {
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		n := nonce(32)
		sig := signMessage(mk, method+"\n"+uri+"\n"+ts+"\n"+n+"\n"+body+"\n")
		req.Header.Set("Authorization", fmt.Sprintf(`WECHATPAY2-SHA256-RSA2048 mchid="1900000100",nonce_str="%s",timestamp="%s",serial_no="SERIAL1",signature="%s"`, n, ts, sig))
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// verifyResponse checks a response's platform signature.
func verifyResponse(t *testing.T, h http.Header, body string) {
	t.Helper()
	_, pk := keys(t)
	msg := h.Get("Wechatpay-Timestamp") + "\n" + h.Get("Wechatpay-Nonce") + "\n" + body + "\n"
	if err := verifyMessage(&pk.PublicKey, msg, h.Get("Wechatpay-Signature")); err != nil || h.Get("Wechatpay-Serial") != DefaultPlatformKeyID {
		t.Fatalf("response signature: %v (serial %q)", err, h.Get("Wechatpay-Serial"))
	}
}

func TestRequestAuthentication(t *testing.T) {
	_, srv := newSim(t)
	const uri = "/v3/pay/partner/transactions/out-trade-no/NOPE000001?sp_mchid=1900000100&sub_mchid=1900000109"
	tests := []struct {
		name   string
		auth   string
		status int
		code   string
	}{
		{"missing", "", 401, "SIGN_ERROR"},
		{"other scheme", "Bearer x", 401, "SIGN_ERROR"},
		{"unknown merchant", `WECHATPAY2-SHA256-RSA2048 mchid="1",nonce_str="n",timestamp="1",serial_no="S",signature="x"`, 401, "SIGN_ERROR"},
		{"stale", `WECHATPAY2-SHA256-RSA2048 mchid="1900000100",nonce_str="n",timestamp="1",serial_no="SERIAL1",signature="x"`, 401, "SIGN_ERROR"},
		{"bad signature", fmt.Sprintf(`WECHATPAY2-SHA256-RSA2048 mchid="1900000100",nonce_str="n",timestamp="%d",serial_no="SERIAL1",signature="AAAA"`, time.Now().Unix()), 401, "SIGN_ERROR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", srv.URL+uri, nil)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var e apiError
			_ = json.NewDecoder(resp.Body).Decode(&e)
			if resp.StatusCode != tt.status || e.Code != tt.code || e.Message == "" {
				t.Fatalf("got %d %+v, want %d %s", resp.StatusCode, e, tt.status, tt.code)
			}
		})
	}
	// A correctly signed request passes authentication (and finds nothing),
	// and the answer is signed.
	status, body, h := do(t, srv, "GET", uri, "", true)
	if status != 404 || !strings.Contains(body, "ORDER_NOT_EXIST") {
		t.Fatalf("signed query: %d %s", status, body)
	}
	verifyResponse(t, h, body)
}

func TestPrepayValidation(t *testing.T) {
	_, srv := newSim(t)
	base := map[string]any{
		"sp_appid": "wx1", "sp_mchid": "1900000100", "sub_mchid": "1900000109", "description": "d",
		"out_trade_no": "QRS0000001", "notify_url": "https://x.example/n",
		"amount": map[string]any{"total": 100, "currency": "CNY"}, "payer": map[string]any{"sp_openid": "o1"},
	}
	tests := []struct {
		name   string
		change func(m map[string]any)
		status int
		code   string
	}{
		{"ok", func(map[string]any) {}, 200, ""},
		{"zero amount", func(m map[string]any) { m["amount"] = map[string]any{"total": 0} }, 400, "PARAM_ERROR"},
		{"short out_trade_no", func(m map[string]any) { m["out_trade_no"] = "abc" }, 400, "PARAM_ERROR"},
		{"notify with query", func(m map[string]any) { m["notify_url"] = "https://x.example/n?a=1" }, 400, "PARAM_ERROR"},
		{"other sp_mchid", func(m map[string]any) { m["sp_mchid"] = "1" }, 400, "PARAM_ERROR"},
		{"unbound sub_mchid", func(m map[string]any) { m["sub_mchid"] = "1900000999" }, 400, "INVALID_REQUEST"},
		{"no payer", func(m map[string]any) { delete(m, "payer") }, 400, "PARAM_ERROR"},
		{"expiry in the past", func(m map[string]any) { m["time_expire"] = "2020-01-01T00:00:00+08:00" }, 400, "PARAM_ERROR"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := map[string]any{}
			for k, v := range base {
				m[k] = v
			}
			m["out_trade_no"] = fmt.Sprintf("QRS-VAL-%04d", i)
			tt.change(m)
			b, _ := json.Marshal(m)
			status, body, h := do(t, srv, "POST", "/v3/pay/partner/transactions/jsapi", string(b), true)
			if status != tt.status || (tt.code != "" && !strings.Contains(body, tt.code)) {
				t.Fatalf("got %d %s, want %d %s", status, body, tt.status, tt.code)
			}
			verifyResponse(t, h, body)
		})
	}
}

func prepay(t *testing.T, s *Server, srv *httptest.Server, out string, notifyURL string) string {
	t.Helper()
	b, _ := json.Marshal(map[string]any{
		"sp_appid": "wx1", "sp_mchid": "1900000100", "sub_mchid": "1900000109", "description": "面",
		"out_trade_no": out, "notify_url": notifyURL,
		"amount": map[string]any{"total": 1250}, "payer": map[string]any{"sp_openid": "o1"},
	})
	status, body, _ := do(t, srv, "POST", "/v3/pay/partner/transactions/jsapi", string(b), true)
	var r struct {
		PrepayID string `json:"prepay_id"`
	}
	if err := json.Unmarshal([]byte(body), &r); status != 200 || err != nil || r.PrepayID == "" {
		t.Fatalf("prepay: %d %s", status, body)
	}
	return r.PrepayID
}

func TestConfirmPageCancel(t *testing.T) {
	s, srv := newSim(t)
	id := prepay(t, s, srv, "QRS-CANCEL-01", "https://x.example/n")
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(srv.URL+ConfirmPath, url.Values{"prepay_id": {id}, "action": {"cancel"}, "return": {"https://shop.example/r"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); loc != "https://shop.example/r?err_msg=get_brand_wcpay_request%3Acancel" {
		t.Fatalf("Location %q", loc)
	}
	if o, _ := s.Order("1900000100", "QRS-CANCEL-01"); o.State != StateNotPay {
		t.Fatalf("state after cancel = %s", o.State)
	}
	// An unknown prepay_id shows an error page; a javascript: return URL is
	// dropped.
	resp, err = c.Get(srv.URL + ConfirmPath + "?prepay_id=nope")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 404 || !strings.Contains(string(b), "订单不存在") {
		t.Fatalf("unknown prepay: %d", resp.StatusCode)
	}
	if safeReturn("javascript:alert(1)") != "" || safeReturn("/relative") != "" {
		t.Fatal("safeReturn accepted a non-http URL")
	}
}

// TestRetryScheduleUntilAck: a receiver that fails gets the notify again on
// each step of the schedule, and nothing after the first 2xx.
func TestRetryScheduleUntilAck(t *testing.T) {
	s, srv := newSim(t)
	var calls atomic.Int32
	_, ds := payInto(t, s, srv, "QRS-RETRY-01", func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) < 4 {
			w.WriteHeader(500)
			return
		}
		w.WriteHeader(200)
	}, func(ds []Delivery) bool { return len(ds) == 4 })
	var got []string
	for _, d := range ds {
		got = append(got, fmt.Sprintf("%d:%d", d.Attempt, d.Status))
	}
	if diff := cmp.Diff(got, []string{"1:500", "2:500", "3:500", "4:200"}); diff != "" {
		t.Fatalf("deliveries (-got +want):\n%s", diff)
	}
	// The gaps follow the schedule: 15 s, 15 s, 30 s divided by 1000.
	if gap := ds[3].At.Sub(ds[2].At); gap < 30*time.Millisecond {
		t.Errorf("third resend came %v after the second, want ≥ 30ms", gap)
	}
}

// TestCloseStopsPendingResends: Close returns promptly even with a day of
// resends pending, and no goroutine outlives it.
func TestCloseStopsPendingResends(t *testing.T) {
	mk, pk := keys(t)
	s := &Server{Merchants: []Merchant{{MchID: "1900000100", SerialNo: "SERIAL1", PublicKey: &mk.PublicKey,
		APIv3Key: "0123456789abcdefghijklmnopqrstuv"}}, PlatformKey: pk}
	srv := httptest.NewServer(s)
	defer srv.Close()
	id, _ := payInto(t, s, srv, "QRS-CLOSE-01", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) },
		func(ds []Delivery) bool { return len(ds) == 1 })
	done := make(chan struct{})
	go func() { s.Close(); s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
	if err := s.Pay(id); err != nil { // already paid: no-op, no new goroutine
		t.Fatal(err)
	}
}

func TestTemplateMessages(t *testing.T) {
	s, srv := newSim(t)
	s.OfficialAccounts = map[string]string{"wxoa1": "secret1"}
	get := func(u string) map[string]any {
		resp, err := http.Get(srv.URL + u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return m
	}
	if m := get("/cgi-bin/token?grant_type=client_credential&appid=wxoa1&secret=wrong"); m["errcode"] != float64(40125) {
		t.Fatalf("wrong secret: %v", m)
	}
	tok, _ := get("/cgi-bin/token?grant_type=client_credential&appid=wxoa1&secret=secret1")["access_token"].(string)
	if tok == "" {
		t.Fatal("no token")
	}
	send := func(token, body string) map[string]any {
		resp, err := http.Post(srv.URL+"/cgi-bin/message/template/send?access_token="+token, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return m
	}
	msg := `{"touser":"oClerk1","template_id":"TPL1","url":"https://qr.example/o/1","client_msg_id":"pay-1-clerk-1","data":{"amount":{"value":"12.50元"}}}`
	a := send(tok, msg)
	b := send(tok, msg)
	c := send(tok, strings.Replace(msg, "pay-1-clerk-1", "pay-1-clerk-2", 1))
	if a["errcode"] != float64(0) || a["msgid"] != b["msgid"] || a["msgid"] == c["msgid"] {
		t.Fatalf("answers %v %v %v", a, b, c)
	}
	if m := send("bogus", msg); m["errcode"] != float64(40001) {
		t.Fatalf("bad token: %v", m)
	}
	ms := s.Messages()
	if len(ms) != 2 || ms[0].ToUser != "oClerk1" || ms[0].ClientMsgID != "pay-1-clerk-1" || ms[0].AppID != "wxoa1" ||
		string(ms[0].Data) != `{"amount":{"value":"12.50元"}}` {
		t.Fatalf("messages = %+v", ms)
	}
}

func TestFaultsEndpoint(t *testing.T) {
	s, srv := newSim(t)
	put := func(body string) int {
		req, _ := http.NewRequest("PUT", srv.URL+"/sim/faults", strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := put(`{"signtest_probe":true,"concurrent_notifies":10,"api_errors":2}`); st != 200 {
		t.Fatalf("PUT faults: %d", st)
	}
	if diff := cmp.Diff(s.Faults(), Faults{SignTestProbe: true, ConcurrentNotifies: 10, APIErrors: 2}); diff != "" {
		t.Fatalf("faults (-got +want):\n%s", diff)
	}
	if st := put(`{"no_such_knob":1}`); st != 400 {
		t.Fatalf("unknown knob accepted: %d", st)
	}
	resp, err := http.Get(srv.URL + "/sim/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "signtest_probe") {
		t.Fatalf("admin page: %d", resp.StatusCode)
	}
}

// FuzzAuthorization: whatever Authorization header and body arrive, the
// simulator answers 401 without panicking (nothing but the merchant's key
// can produce an accepted signature).
func FuzzAuthorization(f *testing.F) {
	f.Add(`WECHATPAY2-SHA256-RSA2048 mchid="1900000100",nonce_str="n",timestamp="1",serial_no="SERIAL1",signature="AAAA"`, "{}")
	f.Add(`WECHATPAY2-SHA256-RSA2048 mchid="1900000100",,,=`, "")
	f.Add(`WECHATPAY2-SHA256-RSA2048 "`, "x")
	mk, pk := func() (*rsa.PrivateKey, *rsa.PrivateKey) {
		k1, _ := rsa.GenerateKey(rand.Reader, 1024)
		k2, _ := rsa.GenerateKey(rand.Reader, 1024)
		return k1, k2
	}()
	s := &Server{Merchants: []Merchant{{MchID: "1900000100", SerialNo: "SERIAL1", PublicKey: &mk.PublicKey,
		APIv3Key: "0123456789abcdefghijklmnopqrstuv"}}, PlatformKey: pk}
	defer s.Close()
	f.Fuzz(func(t *testing.T, auth, body string) {
		r := httptest.NewRequest("POST", "/v3/pay/partner/transactions/jsapi", strings.NewReader(body))
		r.Header.Set("Authorization", auth)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != http.StatusUnauthorized && w.Code != http.StatusBadRequest {
			t.Fatalf("answered %d to %q", w.Code, auth)
		}
	})
}

// TestExpiredOrder: past time_expire the confirm page and Pay refuse.
func TestExpiredOrder(t *testing.T) {
	s, srv := newSim(t)
	var offset atomic.Int64
	s.Now = func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	b, _ := json.Marshal(map[string]any{
		"sp_appid": "wx1", "sp_mchid": "1900000100", "sub_mchid": "1900000109", "description": "面",
		"out_trade_no": "QRS-EXPIRE-01", "notify_url": "https://x.example/n",
		"time_expire": time.Now().Add(2 * time.Minute).Format(time.RFC3339),
		"amount":      map[string]any{"total": 100}, "payer": map[string]any{"sp_openid": "o1"},
	})
	status, body, _ := do(t, srv, "POST", "/v3/pay/partner/transactions/jsapi", string(b), true)
	if status != 200 {
		t.Fatalf("prepay: %d %s", status, body)
	}
	o, _ := s.Order("1900000100", "QRS-EXPIRE-01")
	offset.Store(int64(3 * time.Minute))
	if err := s.Pay(o.PrepayID); err != ErrOrderExpired {
		t.Fatalf("Pay = %v, want ErrOrderExpired", err)
	}
	resp, err := http.Get(ConfirmURL(srv.URL, o.PrepayID, ""))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), "该订单已过期") {
		t.Fatalf("confirm page of expired order:\n%s", page)
	}
}

// TestRetryScheduleExhausted: a receiver that never answers 2xx gets the
// first delivery and the 15 resends of WeChat's schedule, then nothing.
func TestRetryScheduleExhausted(t *testing.T) {
	s, srv := newSim(t)
	s.Speedup = 1_000_000 // 24 h 4 min of schedule in ~87 ms
	payInto(t, s, srv, "QRS-EXHAUST-01", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) },
		func(ds []Delivery) bool { return len(ds) >= 1+len(RetrySchedule) })
	// The delivery has ended (nothing more can follow): exactly 16.
	waitIdle(t, s)
	ds := s.Deliveries()
	if len(ds) != 16 || ds[15].Attempt != 16 {
		t.Fatalf("%d deliveries, want 16 (last attempt %d)", len(ds), ds[len(ds)-1].Attempt)
	}
}

// waitIdle waits until s has no delivery or settlement running.
func waitIdle(t *testing.T, s *Server) {
	t.Helper()
	mqtttest.WaitFor(t, "the simulator idle", func() bool { return s.Busy() == 0 })
}

// payInto pays a new order no on s whose notifies go to a receiver running
// h, and returns its prepay id and the deliveries once done holds for them
// (10 s at most).
func payInto(t *testing.T, s *Server, srv *httptest.Server, no string, h http.HandlerFunc, done func([]Delivery) bool) (string, []Delivery) {
	t.Helper()
	rcv := httptest.NewServer(h)
	t.Cleanup(rcv.Close)
	id := prepay(t, s, srv, no, rcv.URL+"/n")
	if err := s.Pay(id); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ds, err := s.WaitDeliveries(ctx, done)
	if err != nil {
		t.Fatal(err)
	}
	return id, ds
}
