package server

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/payment"
	"github.com/qrstand/qrstand/mqtt/mqtttest"
)

// lockedBuffer collects log lines from many goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Tokens in URLs (store, plate, management and activation codes) never
// reach a log line or a metric label, on success, on a CSRF or
// cross-origin refusal, or for an unknown route; labels are route
// patterns. /metrics is not on the pages' address but on its own.
func TestNoTokensInLogsOrMetrics(t *testing.T) {
	logs := &lockedBuffer{}
	ts := startServerWith(t, func(c *Config) { c.MetricsAddr = "127.0.0.1:0" }, logs)
	st := ts.Storage()
	ctx := context.Background()
	now := time.Now()
	sh := newShop(t, ts, plainShop)
	p, m, acode, store, mcode := sh.provider, sh.merchant, sh.adminCode, sh.store, sh.managerCode
	plates, err := st.CreatePlates(ctx, p.ID, 1, now)
	if err != nil {
		t.Fatal(err)
	}
	tokens := map[string]string{"store": store.CodeToken, "manage": m.ManageToken, "admin activation": acode.Token,
		"manager activation": mcode.Token, "plate": plates[0].Token}
	c, err := ts.Payments().Create(ctx, payment.CreateInput{Store: store, Amount: "1.00", PayerOpenID: "o-payer-000000000000001"})
	if err != nil {
		t.Fatal(err)
	}
	tokens["prepay"] = c.Prepay.PrepayID

	anon := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	user := wechatClient(t, ts, "访客")
	paths := []string{"/s/" + store.CodeToken, "/m/" + m.ManageToken, "/p/" + plates[0].Token,
		"/activate/admin/" + m.ID + "/" + acode.Token, "/activate/manager/" + store.ID + "/" + mcode.Token,
		"/s/" + store.CodeToken + "/extra", "/s//" + store.CodeToken, "/nothing/" + store.CodeToken}
	for _, path := range paths {
		for _, c := range []*http.Client{anon, user} {
			resp, err := c.Get(ts.base + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
	}
	// Refusals log too: a forged form, a cross-origin post.
	for _, path := range []string{"/p/" + plates[0].Token, "/activate/admin/" + m.ID + "/" + acode.Token} {
		resp, err := user.PostForm(ts.base+path, url.Values{"csrf": {"forged"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		req, _ := http.NewRequest("POST", ts.base+path, strings.NewReader(url.Values{"csrf": {csrfOf(t, user, ts.base)}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "https://evil.example")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		resp, err = user.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("cross-origin POST %s: %d, want 403", "route of "+strings.Split(path, "/")[1], resp.StatusCode)
		}
	}

	// /metrics: not on the pages' address, on its own.
	resp, err := http.Get(ts.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Error("/metrics is served on the pages' address")
	}
	var maddr string // the listener starts with Serve, before the pages are ready
	mqtttest.WaitFor(t, "the metrics listener", func() bool { maddr = ts.MetricsListenAddr(); return maddr != "" })
	resp, err = http.Get("http://" + maddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(metrics), `route="GET /s/{token}"`) || !strings.Contains(string(metrics), `route="GET /activate/{role}/{scope}/{token}"`) {
		t.Errorf("metrics do not label by route pattern:\n%s", grepLines(string(metrics), "qrstand_http_requests_total"))
	}
	for what, tok := range tokens {
		if strings.Contains(string(metrics), tok) {
			t.Errorf("the %s token is in a metric:\n%s", what, grepLines(string(metrics), tok))
		}
		if strings.Contains(logs.String(), tok) {
			t.Errorf("the %s token is in the log:\n%s", what, grepLines(logs.String(), tok))
		}
	}
	if !strings.Contains(logs.String(), `route="POST /p/{token}"`) {
		t.Errorf("the CSRF refusal does not name its route:\n%s", grepLines(logs.String(), "csrf"))
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// The reported open redirect: /auth/wechat?next=/%09/evil.example went
// off-site after the WeChat login (browsers drop the tab). Now every
// hostile next ends at "/".
func TestOpenRedirectAfterWeChatLogin(t *testing.T) {
	ts := startServer(t)
	for _, next := range []string{"/%09/evil.example", "//evil.example", "/%5Cevil.example", "/%0A/evil.example", "https://evil.example/", "/store/1"} {
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Host != strings.TrimPrefix(ts.base, "http://") {
				return http.ErrUseLastResponse
			}
			return nil
		}}
		resp, err := c.Get(ts.base + "/auth/wechat?next=" + next)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		q := resp.Request.URL.RawQuery
		// The simulator's consent form posts back to our callback.
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		resp, err = c.PostForm(ts.base+SimPath+"/connect/oauth2/authorize", url.Values{"q": {q}, "nickname": {"访客"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		// Follow our own redirects by hand up to the callback's answer.
		loc := resp.Header.Get("Location")
		for i := 0; i < 5 && strings.Contains(loc, "/auth/wechat/callback"); i++ {
			u, _ := url.Parse(ts.base)
			resp, err = c.Get(u.ResolveReference(mustParse(t, loc)).String())
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			loc = resp.Header.Get("Location")
		}
		want := "/"
		if next == "/store/1" {
			want = "/store/1"
		}
		if loc != want {
			t.Errorf("next=%s: the login ends at %q, want %q", next, loc, want)
		}
	}
}

func mustParse(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// Every file a -dev cloud writes in its data directory (the SQLite
// database and its -wal and -shm, the dev logins, the sandbox keys, the
// broker's and the outbox's state) is private to its owner, whatever the
// umask; directories are 0700.
func TestDataFilesPrivate(t *testing.T) {
	old := syscall.Umask(0o022) // the usual default, made explicit
	defer syscall.Umask(old)
	var dir string
	ts := startServerWith(t, func(c *Config) { c.Dev, c.SecretKey, dir = true, "", c.DataDir }, nil)
	st := ts.Storage()
	ctx := context.Background()
	// Write something through every store: a payment with a stand.
	store := newShop(t, ts, plainShop).store
	c, err := ts.Payments().Create(ctx, payment.CreateInput{Store: store, Amount: "1.00", PayerOpenID: "o-payer-000000000000001"})
	if err != nil {
		t.Fatal(err)
	}
	if err := ts.WeChatPaySim().Pay(c.Prepay.PrepayID); err != nil {
		t.Fatal(err)
	}
	waitOrder(t, st, c.Order.OutTradeNo, model.Order.Paid)
	seen := map[string]bool{}
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		seen[rel] = true
		switch top, _, _ := strings.Cut(rel, string(filepath.Separator)); {
		case d.IsDir():
			if fi.Mode().Perm() != 0o700 {
				t.Errorf("directory %s is %v, want drwx------", rel, fi.Mode().Perm())
			}
		case top == "broker" || top == "mqtt-client":
			// The broker's and the MQTT client's libraries choose their own
			// file modes; their directories (checked above) keep them
			// private, and qrstand-cloud runs with umask 077.
		case fi.Mode().Perm()&0o077 != 0:
			t.Errorf("%s is %v: readable beyond its owner", rel, fi.Mode().Perm())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"cloud.db", "cloud.db-wal", "cloud.db-shm", "dev-logins.txt", "dev-secret.key", "wechatsim/apiclient_key.pem"} {
		if !seen[want] {
			t.Errorf("%s was not written (files: %v)", want, keys(seen))
		}
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatal(err)
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
