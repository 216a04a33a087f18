package ui

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	mathrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/database"
	"github.com/qrstand/qrstand/cloud/internal/dbtest"
	"github.com/qrstand/qrstand/cloud/internal/oauthsim"
	"github.com/qrstand/qrstand/cloud/internal/secretbox"
	"github.com/qrstand/qrstand/cloud/internal/wxauth"
)

// oauthEnv is a Handler whose WeChat login goes to the OAuth simulator.
type oauthEnv struct {
	*env
	sim *oauthsim.Sim
}

func newOAuthEnv(t *testing.T) *oauthEnv {
	t.Helper()
	appID := fmt.Sprintf("wxuitest%x", time.Now().UnixNano()) // routes are per AppID and process-wide
	sim := oauthsim.New(appID, "ui-test-secret", nil)
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	o, err := wxauth.NewSandbox(appID, "ui-test-secret", srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(o.Close)
	st := dbtest.Open(t, database.SQLite)
	c := &clock{t: time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)}
	h, err := New(Config{BaseURL: testBase}, st, o, Options{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	return &oauthEnv{env: &env{t: t, st: st, h: h, hh: h.Handler(), clock: c}, sim: sim}
}

// started is a login as the browser holds it after GET /auth/wechat.
type started struct {
	authorize *url.URL // WeChat's authorize page, with the state
	cookie    string   // the qrs_oauth cookie
}

func (e *oauthEnv) start(next string) started {
	e.t.Helper()
	w := httptest.NewRecorder()
	e.hh.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/auth/wechat?next="+url.QueryEscape(next), nil))
	if w.Code != http.StatusFound {
		e.t.Fatalf("GET /auth/wechat: %d", w.Code)
	}
	au, err := url.Parse(w.Header().Get("Location"))
	if err != nil || !strings.Contains(au.Path, "/connect/oauth2/authorize") {
		e.t.Fatalf("GET /auth/wechat: to %q", w.Header().Get("Location"))
	}
	for _, c := range w.Result().Cookies() {
		if c.Name == oauthCookie {
			return started{authorize: au, cookie: c.Value}
		}
	}
	e.t.Fatal("GET /auth/wechat: no login cookie")
	return started{}
}

// code has the simulator authorize nickname and returns WeChat's code.
func (e *oauthEnv) code(s started, nickname string) string {
	e.t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	au := *s.authorize
	au.RawQuery = ""
	resp, err := c.PostForm(au.String(), url.Values{"q": {s.authorize.RawQuery}, "nickname": {nickname}})
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" || loc.Query().Get("state") != s.authorize.Query().Get("state") {
		e.t.Fatalf("authorize: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return loc.Query().Get("code")
}

// callback comes back from WeChat with state and code, carrying cookie;
// it returns the status, the Location and whether a session was set.
func (e *oauthEnv) callback(state, code, cookie string) (int, string, bool) {
	e.t.Helper()
	r := httptest.NewRequest(http.MethodGet, "/auth/wechat/callback?"+url.Values{"state": {state}, "code": {code}}.Encode(), nil)
	r.AddCookie(&http.Cookie{Name: oauthCookie, Value: cookie})
	w := httptest.NewRecorder()
	e.hh.ServeHTTP(w, r)
	for _, c := range w.Result().Cookies() {
		if c.Name == wechatCookie && c.Value != "" {
			return w.Code, w.Header().Get("Location"), true
		}
	}
	return w.Code, w.Header().Get("Location"), false
}

// rows counts the rows of every table.
func (e *oauthEnv) rows() map[string]int {
	e.t.Helper()
	ctx := context.Background()
	db := e.st.DB()
	tables, err := db.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		e.t.Fatal(err)
	}
	var names []string
	for tables.Next() {
		var n string
		if err := tables.Scan(&n); err != nil {
			e.t.Fatal(err)
		}
		names = append(names, n)
	}
	tables.Close()
	counts := map[string]int{}
	for _, n := range names {
		var c int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM "`+n+`"`).Scan(&c); err != nil {
			e.t.Fatal(err)
		}
		counts[n] = c
	}
	if _, ok := counts["sessions"]; !ok {
		e.t.Fatal("no sessions table")
	}
	return counts
}

func diffRows(before, after map[string]int) string {
	var out []string
	for n, c := range after {
		if before[n] != c {
			out = append(out, fmt.Sprintf("%s %d→%d", n, before[n], c))
		}
	}
	return strings.Join(out, ", ")
}

// TestWeChatLoginStartWritesNothing: anyone may start logins as fast as
// they like and no table grows; the state fits WeChat's rules. Only a
// finished login writes: its session and the used state.
func TestWeChatLoginStartWritesNothing(t *testing.T) {
	e := newOAuthEnv(t)
	before := e.rows()
	states := map[string]bool{}
	var last started
	for i := range 200 {
		last = e.start(fmt.Sprintf("/s/code%d?x=%d", i, i))
		state := last.authorize.Query().Get("state")
		if !oauthsim.ValidState(state) {
			t.Fatalf("state %q: WeChat takes at most 128 bytes of [a-zA-Z0-9]", state)
		}
		states[state] = true
	}
	if len(states) != 200 {
		t.Errorf("%d distinct states of 200", len(states))
	}
	if d := diffRows(before, e.rows()); d != "" {
		t.Fatalf("starting 200 logins wrote rows: %s", d)
	}
	// The marker: a finished login does write, so the counting sees writes.
	state := last.authorize.Query().Get("state")
	if status, loc, session := e.callback(state, e.code(last, "顾客"), last.cookie); status != http.StatusSeeOther || loc != "/s/code199?x=199" || !session {
		t.Fatalf("callback: %d %q session %v", status, loc, session)
	}
	if d := diffRows(before, e.rows()); d != "sessions 0→2" {
		t.Errorf("a finished login wrote %q, want its session and the used state (sessions 0→2)", d)
	}
}

// TestWeChatLoginStateTampered: a state or a cookie changed in any way is
// refused before any code is exchanged; the untouched login still works
// afterwards, so its code was not spent.
func TestWeChatLoginStateTampered(t *testing.T) {
	e := newOAuthEnv(t)
	s := e.start("/s/mine")
	other := e.start("/s/theirs")
	state := s.authorize.Query().Get("state")
	_, pendingText, _ := strings.Cut(s.cookie, ".")
	_, otherPending, _ := strings.Cut(other.cookie, ".")
	code := e.code(s, "顾客")

	flip := func(v string, i int) string { // another character of the same alphabet at i
		b := []byte(v)
		if b[i] == 'a' {
			b[i] = 'b'
		} else {
			b[i] = 'a'
		}
		return string(b)
	}
	evil := base64.RawURLEncoding.EncodeToString(mustEncode(t, pendingLogin{Next: "/s/evil"}))
	for _, tc := range []struct {
		name, state, pending string
		want                 error
	}{
		{"the version", flip(state, 0), pendingText, errStateMalformed},
		{"the expiry", flip(state, 3), pendingText, errStateForged},
		{"the nonce", flip(state, 30), pendingText, errStateForged},
		{"the MAC", flip(state, 63), pendingText, errStateForged},
		{"the state cut short", state[:62], pendingText, errStateMalformed},
		{"the state in capitals", strings.ToUpper(state), pendingText, errStateMalformed},
		{"the next page", state, evil, errStateForged},
		{"another login's payload", state, otherPending, errStateForged},
		{"no payload", state, "", errStateForged},
		{"a payload in another spelling", state, pendingText + "=", errStateMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cookie := tc.state + "." + tc.pending
			if _, err := e.h.loginStates().open(tc.state, cookie, e.clock.Now()); !errors.Is(err, tc.want) {
				t.Errorf("open: %v, want %v", err, tc.want)
			}
			if status, _, session := e.callback(tc.state, code, cookie); status != http.StatusBadRequest || session {
				t.Errorf("callback: %d session %v, want 400 and none", status, session)
			}
		})
	}
	if _, err := e.h.loginStates().open(state, other.cookie, e.clock.Now()); !errors.Is(err, errStateBrowser) {
		t.Errorf("another browser's cookie: %v", err)
	}
	if status, loc, session := e.callback(state, code, s.cookie); status != http.StatusSeeOther || loc != "/s/mine" || !session {
		t.Fatalf("the untouched login: %d %q session %v", status, loc, session)
	}
	if status, _, session := e.callback(state, e.code(s, "顾客"), s.cookie); status != http.StatusBadRequest || session {
		t.Errorf("the same state again, with a new code: %d session %v, want 400 and none", status, session)
	}
}

func mustEncode(t *testing.T, p pendingLogin) []byte {
	t.Helper()
	b, err := p.encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestWeChatLoginStateExpires: a login lasts oauthTTL by the handler's
// clock, and the cookie says so to the browser too.
func TestWeChatLoginStateExpires(t *testing.T) {
	e := newOAuthEnv(t)
	late, inTime := e.start("/s/late"), e.start("/s/intime")
	e.clock.Advance(oauthTTL - time.Second)
	if status, loc, session := e.callback(inTime.authorize.Query().Get("state"), e.code(inTime, "顾客"), inTime.cookie); status != http.StatusSeeOther || loc != "/s/intime" || !session {
		t.Fatalf("a second before expiry: %d %q session %v", status, loc, session)
	}
	e.clock.Advance(time.Second)
	state := late.authorize.Query().Get("state")
	if _, err := e.h.loginStates().open(state, late.cookie, e.clock.Now()); !errors.Is(err, errStateExpired) {
		t.Errorf("open at expiry: %v", err)
	}
	if status, _, session := e.callback(state, e.code(late, "顾客"), late.cookie); status != http.StatusBadRequest || session {
		t.Errorf("at expiry: %d session %v, want 400 and none", status, session)
	}
}

// TestWeChatLoginStateKey: the MAC key comes from the deployment's secret
// key, so another node with the same key opens a state and a node with
// another key does not.
func TestWeChatLoginStateKey(t *testing.T) {
	now := time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)
	node := func(key byte) loginStates { return loginStates{sign: signer(t, key)} }
	state, cookie, err := node(1).issue(pendingLogin{Provider: "p1", AppID: "wxprov", Next: "/s/x"}, now)
	if err != nil {
		t.Fatal(err)
	}
	got, err := node(1).open(state, cookie, now)
	if err != nil || got.pending != (pendingLogin{Provider: "p1", AppID: "wxprov", Next: "/s/x"}) || !got.expires.Equal(now.Add(oauthTTL)) {
		t.Errorf("another node with the key: %+v %v", got, err)
	}
	if _, err := node(2).open(state, cookie, now); !errors.Is(err, errStateForged) {
		t.Errorf("a node with another key: %v", err)
	}
}

// signer signs as storage.Sign does under a secret key of 32 key bytes.
func signer(t testing.TB, key byte) func([]byte) []byte {
	box, err := secretbox.New(bytes.Repeat([]byte{key}, secretbox.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return func(m []byte) []byte { return box.Sign(oauthStatePurpose, m) }
}

// FuzzLoginState: whatever a browser sends as state and cookie, open does
// not panic and accepts only a pair it issued, spelled as it was issued.
func FuzzLoginState(f *testing.F) {
	now := time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)
	// Fuzzing runs this in several processes: the seeds must be the same
	// pairs in each, so the nonces come from a fixed stream.
	ls := loginStates{sign: signer(f, 1), nonce: mathrand.NewChaCha8([32]byte{7})}
	issued := map[string]string{}
	for _, p := range []pendingLogin{{}, {Provider: "p", AppID: "wx1", Next: "/s/a?b=c"}, {Next: "/" + strings.Repeat("x", 2047)}} {
		state, cookie, err := ls.issue(p, now)
		if err != nil {
			f.Fatal(err)
		}
		issued[state] = cookie
		f.Add(state, cookie)
		f.Add(state, strings.ToUpper(cookie))
		f.Add(state, cookie+"A")
	}
	f.Add("", "")
	f.Add("a", "a.")
	f.Add(strings.Repeat("a", 64), strings.Repeat("a", 64)+".AAAA")
	f.Fuzz(func(t *testing.T, state, cookie string) {
		got, err := ls.open(state, cookie, now)
		if err != nil {
			return
		}
		if issued[state] != cookie {
			t.Fatalf("open(%q, %q) accepted a pair it did not issue: %+v", state, cookie, got)
		}
	})
}

// FuzzPendingLogin: any bytes decode without panic, and what decodes
// encodes back to the same bytes (one spelling per pending login).
func FuzzPendingLogin(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 0})
	f.Add([]byte{1, 'p', 3, 'w', 'x', '1', '/', 's'})
	f.Add([]byte{255, 'p'})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := decodePending(b)
		if err != nil {
			return
		}
		again, err := p.encode()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("decodePending(%q) = %+v, encodes to %q (%v)", b, p, again, err)
		}
	})
}
