package ui

import (
	"net"
	"net/http"
	"strings"

	"github.com/qrstand/qrstand/cloud/internal/storage"
)

func (h *Handler) consoleLoginShow(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.consoleUser(r); ok {
		http.Redirect(w, r, "/console", http.StatusSeeOther)
		return
	}
	h.render(w, r, http.StatusOK, "login", nil)
}

func (h *Handler) consoleLoginSubmit(w http.ResponseWriter, r *http.Request) {
	username := strings.TrimSpace(r.PostFormValue("username"))
	pw := r.PostFormValue("password")
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	key := username + "|" + host
	now := h.now()
	if !h.limiter.Allowed(key, now) {
		h.log.Warn("ui: console login rate limited", "username", username, "remote", host)
		h.render(w, r, http.StatusTooManyRequests, "login", view{"Error": "尝试次数过多，请稍后再试", "Username": username})
		return
	}
	u, err := h.st.ConsoleUserByUsername(r.Context(), username)
	hash := u.PasswordHash
	if err != nil {
		hash = ""
	}
	if !checkPassword(hash, pw) {
		h.limiter.Fail(key, now)
		h.log.Info("ui: console login failed", "username", username, "remote", host)
		h.render(w, r, http.StatusUnauthorized, "login", view{"Error": "用户名或密码错误", "Username": username})
		return
	}
	h.limiter.Reset(key)
	token, err := h.st.CreateSession(r.Context(), storage.SessionConsole, u.ID, h.cfg.SessionTTL, now)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	h.setSession(w, consoleCookie, token)
	h.log.Info("ui: console login", "user", u.ID, "role", u.Role)
	http.Redirect(w, r, "/console", http.StatusSeeOther)
}

func (h *Handler) consoleLogout(w http.ResponseWriter, r *http.Request) {
	h.clearSession(w, r, consoleCookie)
	http.Redirect(w, r, "/console/login", http.StatusSeeOther)
}
