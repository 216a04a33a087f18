package ui

import (
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"

	"github.com/qrstand/qrstand/cloud/internal/storage"
	"github.com/qrstand/qrstand/cloud/internal/wxauth"
)

const oauthCookie = "qrs_oauth"

// wechatLogin starts snsapi_base OAuth. The state is bound to this browser
// by a short-lived cookie, which also carries where to go afterwards.
func (h *Handler) wechatLogin(w http.ResponseWriter, r *http.Request) {
	if h.oauth == nil {
		h.fail(w, r, http.StatusServiceUnavailable, "微信登录未配置")
		return
	}
	next := safeNext(r.URL.Query().Get("next"))
	state := storage.NewToken()[:16]
	http.SetCookie(w, &http.Cookie{Name: oauthCookie, Value: state + "." + base64.RawURLEncoding.EncodeToString([]byte(next)),
		Path: "/auth/wechat", HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode, MaxAge: 600})
	u, err := h.oauth.AuthorizeURL(h.cfg.BaseURL+"/auth/wechat/callback", state)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	http.Redirect(w, r, u, http.StatusFound)
}

func (h *Handler) wechatCallback(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(oauthCookie)
	if err != nil || h.oauth == nil {
		h.badInput(w, r, "登录已过期，请重新扫码")
		return
	}
	state, nextEnc, _ := strings.Cut(c.Value, ".")
	if subtle.ConstantTimeCompare([]byte(state), []byte(r.URL.Query().Get("state"))) != 1 {
		h.badInput(w, r, "登录已过期，请重新扫码")
		return
	}
	nb, _ := base64.RawURLEncoding.DecodeString(nextEnc)
	next := safeNext(string(nb))
	http.SetCookie(w, &http.Cookie{Name: oauthCookie, Value: "", Path: "/auth/wechat", MaxAge: -1})
	code := r.URL.Query().Get("code")
	if code == "" {
		h.fail(w, r, http.StatusForbidden, "需要微信授权才能继续")
		return
	}
	openid, err := h.oauth.OpenID(r.Context(), code)
	if err != nil {
		if errors.Is(err, wxauth.ErrSnapshotUser) {
			h.fail(w, r, http.StatusForbidden, "请在微信中打开完整页面后再试")
			return
		}
		h.log.Warn("ui: wechat oauth failed", "err", err)
		h.fail(w, r, http.StatusBadGateway, "微信登录失败，请重新扫码")
		return
	}
	token, err := h.st.CreateSession(r.Context(), storage.SessionWeChat, openid, h.cfg.SessionTTL, h.now())
	if err != nil {
		h.internal(w, r, err)
		return
	}
	h.setSession(w, wechatCookie, token)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (h *Handler) wechatLogout(w http.ResponseWriter, r *http.Request) {
	h.clearSession(w, r, wechatCookie)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
