package ui

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/storage"
)

func (h *Handler) consoleLoginShow(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.consoleUser(r); ok {
		http.Redirect(w, r, "/console", http.StatusSeeOther)
		return
	}
	h.render(w, r, http.StatusOK, "login", nil)
}

// consoleLoginSubmit checks a console password under the limiter's policy
// (storage.LoginPolicy): an address over its caps is refused (429), a
// username under attack asks a fresh address to wait and submit again,
// never locks the right password out.
func (h *Handler) consoleLoginSubmit(w http.ResponseWriter, r *http.Request) {
	username := strings.TrimSpace(r.PostFormValue("username"))
	pw := r.PostFormValue("password")
	addr := clientAddr(r)
	now := h.now()
	v, err := h.st.LoginAttempt(r.Context(), h.cfg.Login, addr, username, now)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	if !v.Allow {
		secs := int((v.Wait + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		msg := "尝试次数过多，请稍后再试"
		if v.Reason == "slowdown" {
			msg = "这个账号近期有多次登录失败。为保护账号，请等待下面的时间后再次提交。"
			h.log.Info("ui: console login slowed", "reason", v.Reason, "remote", addr, "wait_s", secs)
		} else {
			h.log.Warn("ui: console login refused", "reason", v.Reason, "remote", addr, "wait_s", secs)
		}
		h.render(w, r, http.StatusTooManyRequests, "login", view{"Error": msg, "Username": username, "WaitSeconds": secs})
		return
	}
	u, err := h.st.ConsoleUserByUsername(r.Context(), username)
	hash := u.PasswordHash
	if err != nil {
		hash = ""
	}
	if !checkPassword(hash, pw) {
		h.log.Info("ui: console login failed", "remote", addr)
		h.render(w, r, http.StatusUnauthorized, "login", view{"Error": "用户名或密码错误", "Username": username})
		return
	}
	if err := h.st.LoginSucceeded(r.Context(), h.cfg.Login, addr, username, now); err != nil {
		h.log.Error("ui: login limiter", "err", err) // the login itself is good
	}
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
