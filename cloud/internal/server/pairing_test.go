package server

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/ui"
	"github.com/qrstand/qrstand/mqtt"
)

// wechatClient is an HTTP client logged in through the sandbox OAuth
// simulator as nickname.
func wechatClient(t *testing.T, ts *testServer, nickname string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Get(ts.base + "/auth/wechat?next=/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// Now on the simulator's page; submit the nickname like a tester.
	q := resp.Request.URL.RawQuery
	resp, err = c.PostForm(ts.base+SimPath+"/connect/oauth2/authorize", url.Values{"q": {q}, "nickname": {nickname}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path != "/" || resp.StatusCode != 200 {
		t.Fatalf("oauth ended at %s (%d)", resp.Request.URL, resp.StatusCode)
	}
	return c
}

// csrfOf is the form token the pages embed for c's cookies (bound to its
// CSRF cookie and sessions).
func csrfOf(t *testing.T, c *http.Client, base string) string {
	t.Helper()
	u, _ := url.Parse(base)
	r, _ := http.NewRequest("GET", base, nil)
	for _, ck := range c.Jar.Cookies(u) {
		r.AddCookie(ck)
	}
	tok := ui.CSRFToken(r)
	if tok == "" {
		t.Fatal("no csrf cookie")
	}
	return tok
}

func TestPairingOverMQTT(t *testing.T) {
	ts := startServer(t)
	st := ts.Storage()
	ctx := context.Background()
	sh := newShop(t, ts, plainShop)
	store, code := sh.store, sh.managerCode
	mgr := wechatClient(t, ts, "店长小王")
	if _, err := st.Activate(ctx, code.Token, model.RoleManager, store.ID, ts.Sim().OpenID("店长小王"), false, time.Now()); err != nil {
		t.Fatal(err)
	}

	stand := newStand(t, ts)
	stand.Send(&mqtt.PairRequest{Firmware: "test-1.0"})
	pc := pairCode(stand)
	if !strings.HasPrefix(pc.URL, ts.base+"/pair?") || !strings.Contains(pc.URL, stand.ID) {
		t.Fatalf("pair URL = %q", pc.URL)
	}
	// The manager opens the pairing URL and picks the store.
	resp, err := mgr.Get(pc.URL)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("pair page: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	resp, err = mgr.PostForm(ts.base+"/pair", url.Values{"csrf": {csrfOf(t, mgr, ts.base)}, "stand": {stand.ID}, "code": {pc.Code}, "store": {store.ID}})
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("pair submit: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	cfg := storeConfig(stand, 1)
	if !cfg.Bound || cfg.StoreID != store.ID || cfg.StoreName != "一号店" || cfg.QRURL != ts.base+"/s/"+store.CodeToken || !cfg.Announce.Enabled {
		t.Fatalf("store.config = %+v", cfg)
	}
	// The code is spent.
	if _, err := st.PairStand(ctx, stand.ID, pc.Code, store.ID, time.Now()); err == nil {
		t.Fatal("pairing code worked twice")
	}
	// A change the stand shows is republished, with a higher version.
	resp, err = mgr.PostForm(ts.base+"/store/"+store.ID+"/settings", url.Values{"csrf": {csrfOf(t, mgr, ts.base)}, "name": {"一号店（新）"}, "print_receipts": {"1"}})
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("settings: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	cfg2 := storeConfig(stand, cfg.Version+1)
	if cfg2.StoreName != "一号店（新）" || cfg2.Announce.Enabled || !cfg2.Print.Enabled {
		t.Fatalf("republished store.config = %+v", cfg2)
	}
	// The config is retained: a stand reconnecting later gets it at once.
	stand.Restart()
	if got := storeConfig(stand, cfg2.Version); got.StoreName != "一号店（新）" {
		t.Fatalf("retained store.config = %+v", got)
	}
	// Unpairing sends the stand back to its pairing screen.
	resp, err = mgr.PostForm(ts.base+"/stand/"+stand.ID+"/unpair", url.Values{"csrf": {csrfOf(t, mgr, ts.base)}})
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("unpair: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	if got := storeConfig(stand, cfg2.Version+1); got.Bound || got.StoreID != "" {
		t.Fatalf("store.config after unpair = %+v", got)
	}
}
