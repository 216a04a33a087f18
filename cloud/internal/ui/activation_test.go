package ui

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/locale"
	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/storage"
)

// Activation codes through the pages: each misuse shows its own clear
// message and changes nothing; the right use works exactly once.
func TestActivationPages(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	now := e.clock.Now()
	p, _ := e.st.CreateProvider(ctx, "P", "1", "wx", model.ProviderSecrets{}, now)
	m1, _, adminCode, err := e.st.CreateMerchant(ctx, p.ID, storage.MerchantInput{Name: "M1", SubMchID: "19000001", AdminName: "a"}, 24*time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	m2, _, _, _ := e.st.CreateMerchant(ctx, p.ID, storage.MerchantInput{Name: "M2", SubMchID: "19000002", AdminName: "b"}, 24*time.Hour, now)
	s1, _, mgrCode, err := e.st.CreateStore(ctx, m1.ID, storage.StoreInput{Name: "S1", ManagerName: "店长"}, 24*time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	alice := e.wechatLogin("alice", "o-alice")
	bob := e.wechatLogin("bob", "o-bob")
	rolesOf := func(openid string) int {
		r, err := e.st.StaffByOpenID(ctx, openid)
		if err != nil {
			t.Fatal(err)
		}
		return len(r)
	}
	path := func(role, scope, token string) string { return "/activate/" + role + "/" + scope + "/" + token }
	msg := func(zh string) string { return locale.ZH.T(zh) }

	for _, tc := range []struct {
		name   string
		path   string
		status int
		want   string
	}{
		{"unknown code", path("admin", m1.ID, "nosuchtoken"), http.StatusNotFound, msg("这个激活码无效。请向给你二维码的人要一个新的。")},
		{"wrong role", path("manager", m1.ID, adminCode.Token), http.StatusBadRequest, msg("这个激活码不是用来激活这个身份的。")},
		{"wrong role (manager code as clerk)", path("clerk", s1.ID, mgrCode.Token), http.StatusBadRequest, msg("这个激活码不是用来激活这个身份的。")},
		{"wrong tenant", path("admin", m2.ID, adminCode.Token), http.StatusBadRequest, msg("这个激活码不属于这个商户或门店。")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, method := range []string{"GET", "POST"} {
				w := e.do(alice, method, tc.path, nil)
				if w.Code != tc.status || !strings.Contains(w.Body.String(), tc.want) {
					t.Fatalf("%s: status %d, want %d with %q\n%s", method, w.Code, tc.status, tc.want, w.Body.String())
				}
				if strings.Contains(w.Body.String(), "storage:") {
					t.Fatalf("internal error text shown: %s", w.Body.String())
				}
			}
			if n := rolesOf("o-alice"); n != 0 {
				t.Fatalf("refused activation changed roles: %d", n)
			}
		})
	}

	// The right use: the confirm page, then activation.
	ok := path("admin", m1.ID, adminCode.Token)
	if w := e.do(alice, "GET", ok, nil); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "M1") {
		t.Fatalf("confirm page: %d\n%s", w.Code, w.Body.String())
	}
	if n := rolesOf("o-alice"); n != 0 {
		t.Fatal("viewing the confirm page used the code")
	}
	if w := e.do(alice, "POST", ok, nil); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), msg("激活成功")) {
		t.Fatalf("activate: %d\n%s", w.Code, w.Body.String())
	}
	if n := rolesOf("o-alice"); n != 1 {
		t.Fatalf("alice roles = %d, want 1", n)
	}
	// Reuse by someone else.
	w := e.do(bob, "POST", ok, nil)
	if w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), msg("这个激活码已经被使用过了，每个激活码只能用一次。")) {
		t.Fatalf("reuse: %d\n%s", w.Code, w.Body.String())
	}
	if n := rolesOf("o-bob"); n != 0 {
		t.Fatal("reused code granted a role")
	}
	// Expiry: the manager code after its TTL.
	e.clock.Advance(25 * time.Hour)
	bob = e.wechatLogin("bob", "o-bob")
	mp := path("manager", s1.ID, mgrCode.Token)
	w = e.do(bob, "POST", mp, nil)
	if w.Code != http.StatusGone || !strings.Contains(w.Body.String(), msg("这个激活码已过期。请向给你二维码的人要一个新的。")) {
		t.Fatalf("expired: %d\n%s", w.Code, w.Body.String())
	}
	if n := rolesOf("o-bob"); n != 0 {
		t.Fatal("expired code granted a role")
	}
	// Without a WeChat login the page starts OAuth, through the official
	// account of the code's provider, and comes back.
	w = e.do(principal{}, "GET", mp, nil)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/auth/wechat?next="+url.QueryEscape(mp)+"&p="+p.ID {
		t.Fatalf("anonymous: %d %q", w.Code, w.Header().Get("Location"))
	}
}

func TestConsoleLoginRateLimited(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	hash, _ := HashPassword("right-password")
	if _, err := e.st.CreateConsoleUser(ctx, "op", hash, model.ConsoleOperator, "", e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	login := func(pw string) int {
		return e.do(principal{}, "POST", "/console/login", url.Values{"username": {"op"}, "password": {pw}}).Code
	}
	for i := 0; i < 5; i++ {
		if c := login("wrong"); c != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i, c)
		}
	}
	if c := login("right-password"); c != http.StatusTooManyRequests {
		t.Fatalf("after 5 failures the right password got %d, want 429", c)
	}
	e.clock.Advance(16 * time.Minute)
	w := e.do(principal{}, "POST", "/console/login", url.Values{"username": {"op"}, "password": {"right-password"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("after the window: %d", w.Code)
	}
	var session *http.Cookie
	for _, c := range w.Result().Cookies() {
		if c.Name == consoleCookie {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || !session.Secure || session.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie = %+v, want HttpOnly, Secure (https base), SameSite=Lax", session)
	}
}

func TestCSRFRequired(t *testing.T) {
	e := newEnv(t)
	r := strings.NewReader(url.Values{"username": {"op"}, "password": {"x"}, "csrf": {"forged-token-000000000"}}.Encode())
	req, _ := http.NewRequest("POST", "/console/login", r)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: csrfCookie, Value: testCSRF})
	w := httptest.NewRecorder()
	e.hh.ServeHTTP(w, req)
	if w.Code != http.StatusForbidden {
		t.Fatalf("mismatched CSRF token: %d, want 403", w.Code)
	}
}
