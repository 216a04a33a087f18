package server

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/storage"
	"github.com/qrstand/qrstand/cloud/internal/wechatsim"
)

// oauthWorld is a sandboxed server with two providers: A with its own
// official account (issued by the simulator) and D on the deployment's.
type oauthWorld struct {
	t              *testing.T
	ts             *testServer
	acct           wechatsim.Account
	provA          model.Provider
	storeA, storeD model.Store
}

func newOAuthWorld(t *testing.T) *oauthWorld {
	t.Helper()
	ts := startServer(t)
	st := ts.Storage()
	ctx := context.Background()
	now := time.Now()
	acct, err := ts.WeChatPaySim().IssueAccount()
	if err != nil {
		t.Fatal(err)
	}
	w := &oauthWorld{t: t, ts: ts, acct: acct}
	w.provA, err = st.CreateProvider(ctx, "A", "", acct.AppID, model.ProviderSecrets{AppSecret: acct.AppSecret}, now)
	if err != nil {
		t.Fatal(err)
	}
	provD, err := st.CreateProvider(ctx, "D", "", "", model.ProviderSecrets{}, now)
	if err != nil {
		t.Fatal(err)
	}
	store := func(p model.Provider, sub string) model.Store {
		m, _, _, err := st.CreateMerchant(ctx, p.ID, storage.MerchantInput{Name: "M" + sub, SubMchID: sub, AdminName: "a"}, time.Hour, now)
		if err != nil {
			t.Fatal(err)
		}
		s, _, _, err := st.CreateStore(ctx, m.ID, storage.StoreInput{Name: "S" + sub}, time.Hour, now)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	w.storeA, w.storeD = store(w.provA, "1900000801"), store(provD, "1900000802")
	return w
}

// browser is a cookie-keeping client that stops at every redirect.
func (w *oauthWorld) browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// get fetches u (relative to the server) and returns the status and the
// Location or, for a page, its body.
func (w *oauthWorld) get(c *http.Client, u string) (int, string) {
	w.t.Helper()
	if strings.HasPrefix(u, "/") {
		u = w.ts.base + u
	}
	resp, err := c.Get(u)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	if loc := resp.Header.Get("Location"); loc != "" {
		return resp.StatusCode, loc
	}
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// startLogin opens page with c and follows the server's redirects to
// WeChat's authorize page; it returns that page's query.
func (w *oauthWorld) startLogin(c *http.Client, page string) url.Values {
	w.t.Helper()
	u := page
	for range 4 {
		status, loc := w.get(c, u)
		if status/100 != 3 {
			w.t.Fatalf("%s: %d before the authorize page", u, status)
		}
		if strings.Contains(loc, SimPath+"/connect/oauth2/authorize") {
			au, _ := url.Parse(loc)
			return au.Query()
		}
		u = loc
	}
	w.t.Fatalf("%s: no authorize page", page)
	return nil
}

// authorize is the person nickname pressing 允许 on the authorize page of
// q: it returns WeChat's redirect to the callback (code and state).
func (w *oauthWorld) authorize(q url.Values, nickname string) *url.URL {
	w.t.Helper()
	resp, err := w.browser().PostForm(w.ts.base+SimPath+"/connect/oauth2/authorize", url.Values{"q": {q.Encode()}, "nickname": {nickname}})
	if err != nil {
		w.t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		w.t.Fatalf("authorize: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return loc
}

// login logs c in at page as nickname and returns the callback URL used.
func (w *oauthWorld) login(c *http.Client, page, nickname string) *url.URL {
	w.t.Helper()
	cb := w.authorize(w.startLogin(c, page), nickname)
	if status, loc := w.get(c, cb.String()); status != http.StatusSeeOther || loc != page {
		w.t.Fatalf("callback: %d %q, want back to %s", status, loc, page)
	}
	return cb
}

func hasSession(c *http.Client, base string) bool {
	u, _ := url.Parse(base)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "qrs_wx" {
			return true
		}
	}
	return false
}

// setOfficialAccount gives provider A another official account until the
// returned func puts the issued one back.
func (w *oauthWorld) setOfficialAccount(t *testing.T, appID, secret string) (restore func()) {
	t.Helper()
	set := func(appID, secret string) {
		p := w.provA
		p.SPAppID = appID
		if err := w.ts.Storage().UpdateProvider(context.Background(), p, &model.ProviderSecrets{AppSecret: secret}); err != nil {
			t.Fatal(err)
		}
	}
	set(appID, secret)
	return func() { set(w.acct.AppID, w.acct.AppSecret) }
}

// refused opens the callback URL cb with c and wants status (400 says the
// login expired) and no WeChat session made.
func (w *oauthWorld) refused(t *testing.T, c *http.Client, cb *url.URL, status int) {
	t.Helper()
	got, body := w.get(c, cb.String())
	if got != status || status == http.StatusBadRequest && !strings.Contains(body, "登录已过期") {
		t.Errorf("callback: %d, want %d", got, status)
	}
	if hasSession(c, w.ts.base) {
		t.Error("a session was made")
	}
}

// TestOAuthPerProvider: each store logs people in through its provider's
// official account, and a session of one AppID does not pass at a store
// of another.
func TestOAuthPerProvider(t *testing.T) {
	w := newOAuthWorld(t)
	sim := w.ts.Sim()
	pageA, pageD := "/s/"+w.storeA.CodeToken, "/s/"+w.storeD.CodeToken
	if q := w.startLogin(w.browser(), pageA); q.Get("appid") != w.acct.AppID {
		t.Errorf("store A authorizes at %q, want the provider's %q", q.Get("appid"), w.acct.AppID)
	}
	if q := w.startLogin(w.browser(), pageD); q.Get("appid") != sim.AppID {
		t.Errorf("store D authorizes at %q, want the deployment's %q", q.Get("appid"), sim.AppID)
	}
	// One person, two AppIDs, two openids.
	if a, d := sim.OpenIDUnder(w.acct.AppID, "老张"), sim.OpenID("老张"); a == d {
		t.Fatalf("same openid %s under both AppIDs", a)
	}
	c := w.browser()
	w.login(c, pageA, "老张")
	if status, body := w.get(c, pageA); status != http.StatusOK || !strings.Contains(body, `id="pay-form"`) {
		t.Fatalf("store A after login: %d", status)
	}
	// The A session does not pass at D's store: log in again, through D's.
	if q := w.startLogin(c, pageD); q.Get("appid") != sim.AppID {
		t.Errorf("A's session at store D: authorize at %q, want %q", q.Get("appid"), sim.AppID)
	}
}

// TestOAuthStateBinding: the state binds a login to this browser, to one
// use, and to the provider it started for; a code of one AppID is never
// taken under another.
func TestOAuthStateBinding(t *testing.T) {
	w := newOAuthWorld(t)
	pageA, pageD := "/s/"+w.storeA.CodeToken, "/s/"+w.storeD.CodeToken

	t.Run("a code for provider A cannot be exchanged under D", func(t *testing.T) {
		hostile := w.browser()
		qD := w.startLogin(hostile, pageD) // the server expects D's code for this state
		cbA := w.authorize(w.startLogin(w.browser(), pageA), "黑客")
		forged := *cbA
		q := forged.Query()
		q.Set("state", qD.Get("state"))
		forged.RawQuery = q.Encode()
		w.refused(t, hostile, &forged, http.StatusBadGateway) // the exchange under D is refused
	})
	t.Run("another browser's state is refused", func(t *testing.T) {
		hostile := w.browser()
		w.startLogin(hostile, pageD)
		cbA := w.authorize(w.startLogin(w.browser(), pageA), "黑客")
		w.refused(t, hostile, cbA, http.StatusBadRequest)
	})
	t.Run("a forged state is refused", func(t *testing.T) {
		c := w.browser()
		u, _ := url.Parse(w.ts.base)
		c.Jar.SetCookies(u, []*http.Cookie{{Name: "qrs_oauth", Value: "forgedstate0000000000000000", Path: "/auth/wechat"}})
		cb := w.authorize(w.startLogin(w.browser(), pageA), "黑客")
		q := cb.Query()
		q.Set("state", "forgedstate0000000000000000")
		cb.RawQuery = q.Encode()
		w.refused(t, c, cb, http.StatusBadRequest)
	})
	t.Run("a used state is refused", func(t *testing.T) {
		c := w.browser()
		q := w.startLogin(c, pageA)
		cb := w.authorize(q, "顾客")
		// The browser's login cookie, kept to come back with the state
		// after the login used it.
		cbURL, _ := url.Parse(w.ts.base + "/auth/wechat/callback")
		var kept []*http.Cookie
		for _, ck := range c.Jar.Cookies(cbURL) {
			if ck.Name == "qrs_oauth" {
				kept = append(kept, &http.Cookie{Name: ck.Name, Value: ck.Value, Path: "/auth/wechat"})
			}
		}
		if len(kept) != 1 {
			t.Fatalf("%d login cookies", len(kept))
		}
		if status, loc := w.get(c, cb.String()); status != http.StatusSeeOther || loc != pageA {
			t.Fatalf("first use: %d %q", status, loc)
		}
		for name, replayed := range map[string]*url.URL{
			"with its code":   cb,
			"with a new code": w.authorize(q, "顾客"), // WeChat would give one: only the state's single use stops it
		} {
			replay := w.browser()
			replay.Jar.SetCookies(cbURL, kept)
			t.Run(name, func(t *testing.T) { w.refused(t, replay, replayed, http.StatusBadRequest) })
		}
	})
	t.Run("a provider that changes its AppID mid-login", func(t *testing.T) {
		c := w.browser()
		q := w.startLogin(c, pageA)
		cb := w.authorize(q, "顾客")
		other, err := w.ts.WeChatPaySim().IssueAccount()
		if err != nil {
			t.Fatal(err)
		}
		defer w.setOfficialAccount(t, other.AppID, other.AppSecret)()
		w.refused(t, c, cb, http.StatusBadRequest)
	})
	t.Run("a wrong AppSecret is refused by WeChat", func(t *testing.T) {
		defer w.setOfficialAccount(t, w.acct.AppID, strings.Repeat("0", 32))()
		c := w.browser()
		cb := w.authorize(w.startLogin(c, pageA), "顾客")
		w.refused(t, c, cb, http.StatusBadGateway)
	})
}

// TestRolesPerAppID: a role is held by an openid under one AppID; the same
// openid string under another AppID holds nothing.
func TestRolesPerAppID(t *testing.T) {
	w := newOAuthWorld(t)
	st := w.ts.Storage()
	ctx := context.Background()
	now := time.Now()
	_, code, err := st.AddStaff(ctx, storage.StaffInput{MerchantID: w.storeA.MerchantID, StoreID: w.storeA.ID, Role: model.RoleClerk, Name: "小刘"}, time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.ActivateUnder(ctx, code.Token, model.RoleClerk, w.storeA.ID, w.acct.AppID, "o-same-string", true, now); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		scope string
		roles bool
	}{{w.acct.AppID, true}, {"", false}, {"wx0000000000000bad", false}} {
		tok, err := st.CreateWeChatSession(ctx, tc.scope, "o-same-string", time.Hour, now)
		if err != nil {
			t.Fatal(err)
		}
		c := w.browser()
		u, _ := url.Parse(w.ts.base)
		c.Jar.SetCookies(u, []*http.Cookie{{Name: "qrs_wx", Value: tok, Path: "/"}})
		status, body := w.get(c, "/")
		if got := strings.Contains(body, "/clerk/"+w.storeA.ID); status != http.StatusOK || got != tc.roles {
			t.Errorf("session under %q: %d, clerk link %v, want %v", tc.scope, status, got, tc.roles)
		}
	}
}

// TestPayerAppIDMustMatch: a provider with its own official account but no
// partner account of its own would pay through the default account, whose
// sp_appid is the deployment's; its payer's openid is of the provider's
// AppID, which WeChat Pay would refuse. The pay page says so and no order
// is placed.
func TestPayerAppIDMustMatch(t *testing.T) {
	w := newOAuthWorld(t)
	c := w.browser()
	page := "/s/" + w.storeA.CodeToken
	w.login(c, page, "顾客")
	if status, _ := w.get(c, page); status != http.StatusOK {
		t.Fatalf("pay page: %d", status)
	}
	resp, err := c.PostForm(w.ts.base+"/pay/"+w.storeA.ID, url.Values{"csrf": {csrfOf(t, c, w.ts.base)}, "amount": {"5.00"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(b), "服务商的公众号与微信支付账户不一致") {
		t.Errorf("pay with a mismatched AppID: %d", resp.StatusCode)
	}
	if orders, err := w.ts.Storage().Orders(context.Background(), storage.OrderFilter{StoreID: w.storeA.ID}); err != nil || len(orders) != 0 {
		t.Errorf("orders %d %v, want none", len(orders), err)
	}
	if n := len(w.ts.WeChatPaySim().Orders()); n != 0 {
		t.Errorf("WeChat Pay saw %d orders, want none", n)
	}
}
