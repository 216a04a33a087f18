package ui

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"

	"github.com/qrstand/qrstand/cloud/internal/storage"
)

// CSRF protection has two layers:
//
//   - http.CrossOriginProtection refuses a state-changing request that a
//     browser marks as cross-site (Sec-Fetch-Site), or whose Origin names
//     another host than the request's (or BaseURL's). Browsers send these
//     on every POST, our same-origin forms included; clients that send
//     neither (curl, WeChat's servers) pass to the second layer.
//   - a token in every form, bound to the browser and its login: a hash of
//     a random per-browser cookie and the console and WeChat session
//     cookies. Another site cannot read these HttpOnly cookies, so cannot
//     compute it; a cookie planted from a sibling domain does not help
//     without the victim's session; and a login or logout changes it, so a
//     form shown before the login does not work after it (it is refreshed
//     on the next page).

const csrfCookie = "qrs_csrf"

type csrfKey struct{}

func csrfToken(r *http.Request) string {
	if t, ok := r.Context().Value(csrfKey{}).(string); ok {
		return t
	}
	return ""
}

// CSRFToken is the form token the pages embed for a browser sending r's
// cookies ("" without the CSRF cookie); tools and tests post with it.
func CSRFToken(r *http.Request) string {
	c, err := r.Cookie(csrfCookie)
	if err != nil || len(c.Value) < 16 {
		return ""
	}
	return boundToken(c.Value, r)
}

// boundToken binds the browser's random cookie to its current sessions.
func boundToken(browser string, r *http.Request) string {
	sum := sha256.New()
	sum.Write([]byte("qrstand csrf v1\x00" + browser))
	for _, name := range []string{consoleCookie, wechatCookie} {
		v := ""
		if c, err := r.Cookie(name); err == nil {
			v = c.Value
		}
		sum.Write([]byte("\x00" + v))
	}
	return base64.RawURLEncoding.EncodeToString(sum.Sum(nil))
}

// crossOrigin is the first layer; BaseURL's origin is trusted too, for a
// reverse proxy that rewrites Host.
func (h *Handler) crossOrigin(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	if u, err := url.Parse(h.cfg.BaseURL); err == nil {
		if err := cop.AddTrustedOrigin(u.Scheme + "://" + u.Host); err != nil {
			h.log.Warn("ui: base URL is not a valid origin", "err", err)
		}
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.log.Warn("ui: cross-origin request refused", "method", r.Method, "route", h.Route(r), "origin", r.Header.Get("Origin"),
			"sec_fetch_site", r.Header.Get("Sec-Fetch-Site"), "remote", r.RemoteAddr)
		h.fail(w, r, http.StatusForbidden, "页面已过期，请返回刷新后重试")
	}))
	return cop.Handler(next)
}

func (h *Handler) csrf(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		browser := ""
		if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 16 {
			browser = c.Value
		}
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			if l := r.URL.Query().Get("lang"); l == "en" || l == "zh-CN" {
				http.SetCookie(w, &http.Cookie{Name: "qrs_lang", Value: l, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode})
			}
			if browser == "" {
				browser = storage.NewToken()
				http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: browser, Path: "/", HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
			}
		default:
			form := r.PostFormValue("csrf")
			if browser == "" || subtle.ConstantTimeCompare([]byte(form), []byte(boundToken(browser, r))) != 1 {
				h.log.Warn("ui: csrf check failed", "method", r.Method, "route", h.Route(r), "remote", r.RemoteAddr)
				h.fail(w, r, http.StatusForbidden, "页面已过期，请返回刷新后重试")
				return
			}
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), csrfKey{}, boundToken(browser, r))))
	})
}
