package ui

import (
	"context"
	"crypto/subtle"
	"net/http"

	"github.com/qrstand/qrstand/cloud/internal/storage"
)

// CSRF protection by double submit: a random cookie that every form echoes
// in a hidden field. Cookies are SameSite=Lax as a second line.

const csrfCookie = "qrs_csrf"

type csrfKey struct{}

func csrfToken(r *http.Request) string {
	if t, ok := r.Context().Value(csrfKey{}).(string); ok {
		return t
	}
	return ""
}

func (h *Handler) csrf(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := ""
		if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 16 {
			token = c.Value
		}
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			if l := r.URL.Query().Get("lang"); l == "en" || l == "zh-CN" {
				http.SetCookie(w, &http.Cookie{Name: "qrs_lang", Value: l, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode})
			}
			if token == "" {
				token = storage.NewToken()
				http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: token, Path: "/", HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
			}
		default:
			form := r.PostFormValue("csrf")
			if token == "" || subtle.ConstantTimeCompare([]byte(form), []byte(token)) != 1 {
				h.log.Warn("ui: csrf check failed", "path", r.URL.Path, "remote", r.RemoteAddr)
				h.fail(w, r, http.StatusForbidden, "页面已过期，请返回刷新后重试")
				return
			}
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), csrfKey{}, token)))
	})
}
