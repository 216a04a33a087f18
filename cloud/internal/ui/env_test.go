package ui

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/database"
	"github.com/qrstand/qrstand/cloud/internal/dbtest"
	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/storage"
)

const testBase = "https://pay.example.com"

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type env struct {
	t     testing.TB
	st    *storage.Storage
	h     *Handler
	hh    http.Handler
	clock *clock
}

func newEnv(t testing.TB) *env {
	t.Helper()
	st := dbtest.Open(t, database.SQLite)
	c := &clock{t: time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)}
	h, err := New(Config{BaseURL: testBase}, st, nil, Options{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, st: st, h: h, hh: h.Handler(), clock: c}
}

// principal is who makes a request: a console login, a WeChat user, or
// nobody.
type principal struct {
	name    string
	console string // console session token
	wechat  string // wechat session token
}

const testCSRF = "csrf-token-for-tests-0123456789"

func (e *env) do(p principal, method, path string, form url.Values) *httptest.ResponseRecorder {
	e.t.Helper()
	return e.doFrom("192.0.2.1:1234", p, method, path, form)
}

// doFrom is do from the given remote address, with a same-origin POST's
// headers and the form token bound to the principal's sessions.
func (e *env) doFrom(remote string, p principal, method, path string, form url.Values) *httptest.ResponseRecorder {
	e.t.Helper()
	r := httptest.NewRequest(method, path, nil)
	r.RemoteAddr = remote
	r.AddCookie(&http.Cookie{Name: csrfCookie, Value: testCSRF})
	if p.console != "" {
		r.AddCookie(&http.Cookie{Name: consoleCookie, Value: p.console})
	}
	if p.wechat != "" {
		r.AddCookie(&http.Cookie{Name: wechatCookie, Value: p.wechat})
	}
	if method == http.MethodPost {
		if form == nil {
			form = url.Values{}
		}
		form.Set("csrf", CSRFToken(r))
		body := form.Encode()
		r.Body = io.NopCloser(strings.NewReader(body))
		r.ContentLength = int64(len(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Origin", testBase)
		r.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	w := httptest.NewRecorder()
	e.hh.ServeHTTP(w, r)
	return w
}

func (e *env) consoleLogin(u model.ConsoleUser) principal {
	tok, err := e.st.CreateSession(context.Background(), storage.SessionConsole, u.ID, time.Hour, e.clock.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	return principal{name: u.Username, console: tok}
}

func (e *env) wechatLogin(name, openid string) principal {
	tok, err := e.st.CreateSession(context.Background(), storage.SessionWeChat, openid, time.Hour, e.clock.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	return principal{name: name, wechat: tok}
}

// staff adds and activates a role for openid.
func (e *env) staff(in storage.StaffInput, openid string) model.Staff {
	e.t.Helper()
	ctx := context.Background()
	s, c, err := e.st.AddStaff(ctx, in, time.Hour, e.clock.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	if openid != "" {
		if s, err = e.st.Activate(ctx, c.Token, c.Role, c.ScopeID, openid, true, e.clock.Now()); err != nil {
			e.t.Fatal(err)
		}
	}
	return s
}
