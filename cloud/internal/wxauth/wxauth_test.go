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
