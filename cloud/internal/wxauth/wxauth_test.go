package wxauth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/qrstand/qrstand/cloud/internal/oauthsim"
	"github.com/qrstand/qrstand/cloud/internal/wxauth"
)

// authorize walks the simulator's page like a tester and returns the code.
func authorize(t *testing.T, o *wxauth.OAuth, nick string, snapshot bool) string {
	t.Helper()
	au, err := o.AuthorizeURL("http://app.example/cb", "st1")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(au)
	form := url.Values{"q": {u.RawQuery}, "nickname": {nick}}
	if snapshot {
		form.Set("snapshot", "1")
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(strings.SplitN(au, "?", 2)[0], form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if loc.Query().Get("state") != "st1" || loc.Host != "app.example" {
		t.Fatalf("redirect = %s", loc)
	}
	return loc.Query().Get("code")
}

func TestSandboxOAuth(t *testing.T) {
	sim := oauthsim.New("wxtest1", "sec", nil)
	srv := httptest.NewServer(sim.Handler())
	defer srv.Close()
	o, err := wxauth.NewSandbox("wxtest1", "sec", srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	ctx := context.Background()

	code := authorize(t, o, "王老板", false)
	openid, err := o.OpenID(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	if openid != sim.OpenID("王老板") {
		t.Errorf("openid = %q, want %q", openid, sim.OpenID("王老板"))
	}
	if _, err := o.OpenID(ctx, code); !errors.Is(err, wxauth.ErrExchange) {
		t.Errorf("reused code: %v, want ErrExchange", err)
	}
	if _, err := o.OpenID(ctx, authorize(t, o, "快照", true)); !errors.Is(err, wxauth.ErrSnapshotUser) {
		t.Errorf("snapshot user: %v, want ErrSnapshotUser", err)
	}
	// A client with the wrong secret is refused by the simulator.
	bad, _ := wxauth.NewSandbox("wxtest1", "wrong", srv.URL)
	defer bad.Close()
	if _, err := bad.OpenID(ctx, authorize(t, o, "x", false)); !errors.Is(err, wxauth.ErrExchange) {
		t.Errorf("wrong secret: %v", err)
	}
}

// TestSandboxOAuthPerAccount: one simulator plays two official accounts;
// For routes the second one to it. The same person has another openid
// under each AppID, a code is exchanged only by its own AppID, and a wrong
// AppSecret is refused.
func TestSandboxOAuthPerAccount(t *testing.T) {
	sim := oauthsim.New("wxdeploy1", "sec", nil)
	sim.Accounts = func(appID string) (string, bool) { return "provsecret", appID == "wxprov1" }
	srv := httptest.NewServer(sim.Handler())
	defer srv.Close()
	o, err := wxauth.NewSandbox("wxdeploy1", "sec", srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	p := o.For("wxprov1", "provsecret")
	if p.AppID() != "wxprov1" || o.For("wxprov1", "provsecret") != p {
		t.Fatalf("For: %q, kept %v", p.AppID(), o.For("wxprov1", "provsecret") == p)
	}
	au, _ := p.AuthorizeURL("http://app.example/cb", "st1")
	if u, _ := url.Parse(au); u.Query().Get("appid") != "wxprov1" || !strings.HasPrefix(au, srv.URL) {
		t.Fatalf("authorize URL %s", au)
	}
	ctx := context.Background()
	mine, err := p.OpenID(ctx, authorize(t, p, "王老板", false))
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := o.OpenID(ctx, authorize(t, o, "王老板", false))
	if err != nil {
		t.Fatal(err)
	}
	if mine != sim.OpenIDUnder("wxprov1", "王老板") || theirs != sim.OpenID("王老板") || mine == theirs {
		t.Errorf("openids %q (provider) and %q (deployment)", mine, theirs)
	}
	if app, ok := sim.IssuedUnder(mine); !ok || app != "wxprov1" {
		t.Errorf("IssuedUnder(%s) = %q, %v", mine, app, ok)
	}
	if _, err := o.OpenID(ctx, authorize(t, p, "王老板", false)); !errors.Is(err, wxauth.ErrExchange) {
		t.Errorf("the provider's code exchanged by the deployment's account: %v", err)
	}
	if _, err := o.For("wxprov1", "wrong").OpenID(ctx, authorize(t, p, "王老板", false)); !errors.Is(err, wxauth.ErrExchange) {
		t.Errorf("wrong AppSecret: %v", err)
	}
	// An AppID the simulator does not play has no authorize page.
	au, _ = o.For("wxunknown", "x").AuthorizeURL("http://app.example/cb", "st1")
	resp, err := http.Get(au)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown AppID's authorize page: %d", resp.StatusCode)
	}
}
