package ui

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/database"
	"github.com/qrstand/qrstand/cloud/internal/dbtest"
	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/storage"
)

// loginEnv is an env with the console user "op" whose password is
// "right-password".
func loginEnv(t *testing.T) (*env, func(addr, user, pw string) *httptest.ResponseRecorder) {
	e := newEnv(t)
	hash, _ := HashPassword("right-password")
	if _, err := e.st.CreateConsoleUser(context.Background(), "op", hash, model.ConsoleOperator, "", e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	return e, func(addr, user, pw string) *httptest.ResponseRecorder {
		t.Helper()
		return e.doFrom(addr+":40000", principal{}, "POST", "/console/login", url.Values{"username": {user}, "password": {pw}})
	}
}

// An attacker guessing from many addresses slows the account down but
// cannot lock its owner out: from a fresh address the owner is asked to
// wait once, then the right password logs in.
func TestLoginLimiterNoLockout(t *testing.T) {
	e, login := loginEnv(t)
	p := storage.DefaultLoginPolicy
	// 30 addresses × PairAttempts wrong passwords: every address ends
	// locked out of "op", and "op" is under attack.
	checked := 0
	for a := 0; a < 30; a++ {
		addr := fmt.Sprintf("198.51.100.%d", a+1)
		for i := 0; i < p.PairAttempts+2; i++ {
			switch c := login(addr, "op", fmt.Sprint("guess", i)).Code; c {
			case http.StatusUnauthorized:
				checked++
			case http.StatusTooManyRequests:
			default:
				t.Fatalf("attacker %s attempt %d: %d", addr, i, c)
			}
			e.clock.Advance(time.Second)
		}
	}
	if checked < p.UserAttempts || checked > 30*p.PairAttempts {
		t.Fatalf("%d wrong passwords checked; want at least %d (the slowdown starts) and at most %d", checked, p.UserAttempts, 30*p.PairAttempts)
	}
	// The slowdown held the attack to fewer checks than the per-address
	// caps alone would allow.
	if checked >= 30*p.PairAttempts {
		t.Errorf("slowdown did not slow: %d checks", checked)
	}
	// The owner, from a fresh address: asked to wait, not locked out.
	w := login("203.0.113.7", "op", "right-password")
	if w.Code != http.StatusTooManyRequests || !strings.Contains(w.Body.String(), `id="login-wait"`) {
		t.Fatalf("owner's first attempt during the attack: %d\n%s", w.Code, w.Body.String())
	}
	var secs int
	fmt.Sscan(w.Header().Get("Retry-After"), &secs)
	if secs <= 0 || time.Duration(secs)*time.Second > p.MaxUserDelay {
		t.Fatalf("Retry-After %q, want 1..%v", w.Header().Get("Retry-After"), p.MaxUserDelay)
	}
	// Submitting early does not push the wait further out.
	e.clock.Advance(time.Second)
	if w := login("203.0.113.7", "op", "right-password"); w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != fmt.Sprint(secs-1) {
		t.Fatalf("early resubmit: %d Retry-After %q, want 429 and %d", w.Code, w.Header().Get("Retry-After"), secs-1)
	}
	e.clock.Advance(time.Duration(secs-1) * time.Second)
	// Meanwhile the attackers go on; they do not use up the owner's turn.
	for a := 0; a < 5; a++ {
		login(fmt.Sprintf("198.51.100.%d", 100+a), "op", "still-guessing")
	}
	if w := login("203.0.113.7", "op", "right-password"); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/console" {
		t.Fatalf("owner after the wait: %d %q\n%s", w.Code, w.Header().Get("Location"), w.Body.String())
	}
}

// Without an attack on the account, another address's failures do not
// touch the owner at all; an address that failed too often for one
// username is refused for it even with the right password.
func TestLoginLimiterPerAddressAndUser(t *testing.T) {
	_, login := loginEnv(t)
	for i := 0; i < storage.DefaultLoginPolicy.PairAttempts; i++ {
		if c := login("198.51.100.1", "op", "wrong").Code; c != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i, c)
		}
	}
	if c := login("198.51.100.1", "op", "right-password").Code; c != http.StatusTooManyRequests {
		t.Fatalf("the guessing address with the right password: %d, want 429", c)
	}
	if c := login("203.0.113.7", "op", "right-password").Code; c != http.StatusSeeOther {
		t.Fatalf("the owner from elsewhere: %d, want 303", c)
	}
}

// One address spraying passwords over many usernames is capped across
// usernames: past the cap it gets nothing checked, not even a right
// password for an account it never tried; other addresses are untouched.
func TestLoginLimiterAddressCapAcrossUsernames(t *testing.T) {
	_, login := loginEnv(t)
	p := storage.DefaultLoginPolicy
	for i := 0; i < p.AddrAttempts; i++ {
		if c := login("198.51.100.9", fmt.Sprint("user", i), "wrong").Code; c != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i, c)
		}
	}
	w := login("198.51.100.9", "op", "right-password")
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" {
		t.Fatalf("address over its cap: %d Retry-After %q, want 429 with Retry-After", w.Code, w.Header().Get("Retry-After"))
	}
	if c := login("198.51.100.10", "op", "right-password").Code; c != http.StatusSeeOther {
		t.Fatalf("another address: %d, want 303", c)
	}
}

// The limiter's state is in the database: a second handler (another cloud
// node) on the same storage sees the first one's counts, on both engines.
func TestLoginLimiterSharedAcrossNodes(t *testing.T) {
	for _, d := range dbtest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			st := dbtest.Open(t, d)
			p := storage.DefaultLoginPolicy
			now := time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)
			ctx := context.Background()
			for i := 0; i < p.PairAttempts; i++ {
				v, err := st.LoginAttempt(ctx, p, "198.51.100.1", "op", now)
				if err != nil || !v.Allow {
					t.Fatalf("attempt %d: %+v %v", i, v, err)
				}
			}
			// "Node 2" is the same storage through a new handler.
			h, err := New(Config{BaseURL: testBase}, st, nil, Options{Now: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			e := &env{t: t, st: st, h: h, hh: h.Handler(), clock: &clock{t: now}}
			w := e.doFrom("198.51.100.1:1", principal{}, "POST", "/console/login", url.Values{"username": {"op"}, "password": {"x"}})
			if w.Code != http.StatusTooManyRequests {
				t.Fatalf("node 2 let the 6th attempt through: %d", w.Code)
			}
			if v, _ := st.LoginAttempt(ctx, p, "198.51.100.1", "op", now.Add(p.Window)); !v.Allow {
				t.Fatalf("after the window: %+v", v)
			}
		})
	}
}

func TestClientAddr(t *testing.T) {
	for _, tc := range []struct{ remote, xff, want string }{
		{"198.51.100.1:5", "", "198.51.100.1"},
		{"198.51.100.1:5", "203.0.113.9", "198.51.100.1"}, // a remote peer's header is not trusted
		{"127.0.0.1:5", "10.0.0.1, 203.0.113.9", "203.0.113.9"},
		{"[::1]:5", "203.0.113.9", "203.0.113.9"},
		{"127.0.0.1:5", "garbage", "127.0.0.1"},
		{"[2001:db8:1:2:3:4:5:6]:5", "", "2001:db8:1:2::/64"},
		{"[::ffff:198.51.100.1]:5", "", "198.51.100.1"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.remote
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := clientAddr(r); got != tc.want {
			t.Errorf("clientAddr(%s, XFF %q) = %q, want %q", tc.remote, tc.xff, got, tc.want)
		}
	}
}

// A cross-origin POST is refused even with a valid token; a token is bound
// to the sessions it was shown to.
func TestCSRFCrossOriginAndBinding(t *testing.T) {
	e := newEnv(t)
	admin := e.wechatLogin("admin", "o-admin")
	post := func(p principal, hdr map[string]string, token string) int {
		r := httptest.NewRequest("POST", "/auth/logout", nil)
		r.AddCookie(&http.Cookie{Name: csrfCookie, Value: testCSRF})
		if p.wechat != "" {
			r.AddCookie(&http.Cookie{Name: wechatCookie, Value: p.wechat})
		}
		if token == "" {
			token = CSRFToken(r)
		}
		body := url.Values{"csrf": {token}}.Encode()
		r.Body = http.NoBody
		r = httptest.NewRequest("POST", "/auth/logout", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.AddCookie(&http.Cookie{Name: csrfCookie, Value: testCSRF})
		if p.wechat != "" {
			r.AddCookie(&http.Cookie{Name: wechatCookie, Value: p.wechat})
		}
		for k, v := range hdr {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		e.hh.ServeHTTP(w, r)
		return w.Code
	}
	same := map[string]string{"Origin": testBase, "Sec-Fetch-Site": "same-origin"}
	if c := post(admin, same, ""); c != http.StatusSeeOther {
		t.Fatalf("same-origin POST with its token: %d", c)
	}
	for name, hdr := range map[string]map[string]string{
		"Sec-Fetch-Site cross-site": {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
		"Sec-Fetch-Site same-site":  {"Origin": "https://shop.pay.example.com", "Sec-Fetch-Site": "same-site"},
		"Origin only (old browser)": {"Origin": "https://evil.example"},
	} {
		if c := post(admin, hdr, ""); c != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", name, c)
		}
	}
	// A token shown to another login (or to no login) does not work.
	other := e.wechatLogin("other", "o-other")
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: csrfCookie, Value: testCSRF})
	r.AddCookie(&http.Cookie{Name: wechatCookie, Value: other.wechat})
	if c := post(admin, same, CSRFToken(r)); c != http.StatusForbidden {
		t.Errorf("token of another session: %d, want 403", c)
	}
	if c := post(admin, same, testCSRF); c != http.StatusForbidden {
		t.Errorf("the bare cookie value as token (the old double submit): %d, want 403", c)
	}
}

// Only managers and admins can hold refund rights: the grant form refuses
// a clerk with a clear message and changes nothing; storage refuses it too.
func TestRefundRightsNeverForClerks(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	now := e.clock.Now()
	p, err := e.st.CreateProvider(ctx, "P", "1900000001", "wx", model.ProviderSecrets{}, now)
	if err != nil {
		t.Fatal(err)
	}
	m, _, acode, err := e.st.CreateMerchant(ctx, p.ID, storage.MerchantInput{Name: "面馆", SubMchID: "1900000109", AdminName: "王"}, time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.Activate(ctx, acode.Token, model.RoleAdmin, m.ID, "o-admin", false, now); err != nil {
		t.Fatal(err)
	}
	s, _, _, err := e.st.CreateStore(ctx, m.ID, storage.StoreInput{Name: "一号店"}, time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	clerk := e.staff(storage.StaffInput{MerchantID: m.ID, StoreID: s.ID, Role: model.RoleClerk, Name: "小张"}, "o-clerk")
	mgr := e.staff(storage.StaffInput{MerchantID: m.ID, StoreID: s.ID, Role: model.RoleManager, Name: "李"}, "o-mgr")
	admin := e.wechatLogin("admin", "o-admin")

	w := e.do(admin, "POST", "/staff/"+clerk.ID+"/refund", url.Values{"can_refund": {"1"}})
	if w.Code != http.StatusNotFound {
		t.Fatalf("granting a clerk: %d\n%s", w.Code, w.Body.String())
	}
	if got, _ := e.st.Staff(ctx, clerk.ID); got.CanRefund {
		t.Fatal("the clerk holds refund rights")
	}
	if w := e.do(admin, "POST", "/staff/"+mgr.ID+"/refund", url.Values{"can_refund": {"1"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("granting a manager: %d", w.Code)
	}
	if got, _ := e.st.Staff(ctx, mgr.ID); !got.CanRefund {
		t.Fatal("the manager did not get refund rights")
	}
	// Storage refuses whatever the caller.
	if err := e.st.SetRefund(ctx, clerk.ID, true); err == nil {
		t.Error("storage.SetRefund granted a clerk")
	}
	if _, _, err := e.st.AddStaff(ctx, storage.StaffInput{MerchantID: m.ID, StoreID: s.ID, Role: model.RoleClerk, Name: "x", CanRefund: true}, time.Hour, now); err == nil {
		t.Error("storage.AddStaff created a refund-capable clerk")
	}
}

// In sandbox mode every page carries the banner.
func TestSandboxBanner(t *testing.T) {
	st := dbtest.Open(t, database.SQLite)
	for _, sandbox := range []bool{true, false} {
		h, err := New(Config{BaseURL: testBase, Sandbox: sandbox}, st, nil, Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{"/", "/console/login", "/no-such-page", "/auth/wechat/callback"} {
			w := httptest.NewRecorder()
			h.Handler().ServeHTTP(w, httptest.NewRequest("GET", path, nil))
			if got := strings.Contains(w.Body.String(), `id="sandbox-banner"`); got != sandbox {
				t.Errorf("sandbox %v, %s: banner %v", sandbox, path, got)
			}
		}
	}
}

// Error logs name the route pattern, never the path with its token.
func TestErrorLogsNameTheRoute(t *testing.T) {
	var logs bytes.Buffer
	st := dbtest.Open(t, database.SQLite)
	h, err := New(Config{BaseURL: testBase}, st, nil, Options{Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	const token = "secrettokenaaaaaaaaaaaaaaaaaaaaa"
	sess, err := st.CreateSession(context.Background(), storage.SessionWeChat, "o-someone", time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// Roles can no longer be read: a token page fails inside.
	if _, err := st.DB().Exec(`ALTER TABLE staff RENAME TO staff_gone`); err != nil {
		t.Fatal(err)
	}
	get := httptest.NewRequest("GET", "/s/"+token, nil)
	get.AddCookie(&http.Cookie{Name: wechatCookie, Value: sess})
	post := httptest.NewRequest("POST", "/p/"+token, strings.NewReader("csrf=forged")) // a CSRF failure
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, r := range []*http.Request{get, post} {
		w := httptest.NewRecorder()
		h.Handler().ServeHTTP(w, r)
		if w.Code != http.StatusInternalServerError && w.Code != http.StatusForbidden {
			t.Fatalf("%s %s: %d", r.Method, r.URL.Path, w.Code)
		}
	}
	if strings.Contains(logs.String(), token) {
		t.Fatalf("a token reached the log:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), `route="GET /s/{token}"`) || !strings.Contains(logs.String(), `route="POST /p/{token}"`) {
		t.Fatalf("logs do not name the routes:\n%s", logs.String())
	}
}
