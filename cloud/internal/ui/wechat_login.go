package ui

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/storage"
	"github.com/qrstand/qrstand/cloud/internal/wxauth"
)

const oauthCookie = "qrs_oauth"

// oauthTTL bounds a login under way, from the redirect to WeChat to the
// callback.
const oauthTTL = 10 * time.Minute

// pendingLogin is what the server keeps of a login under way, under its
// state: a browser can neither change nor replay it.
type pendingLogin struct {
	Provider string `json:"p"`   // whose official account ("" for the deployment's)
	AppID    string `json:"app"` // that account's AppID when the login started
	Next     string `json:"next"`
}

// wechatLogin starts snsapi_base OAuth through the official account of
// provider ?p= (the deployment's without one). The state is single use and
// bound twice: to this browser by a short-lived cookie, and to the
// provider, its AppID and where to go afterwards by a server-side record.
func (h *Handler) wechatLogin(w http.ResponseWriter, r *http.Request) {
	if h.oauth == nil {
		h.fail(w, r, http.StatusServiceUnavailable, "微信登录未配置")
		return
	}
	providerID := r.URL.Query().Get("p")
	if len(providerID) > 64 {
		providerID = ""
	}
	acct, err := h.accountOf(r.Context(), providerID)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	pending, err := json.Marshal(pendingLogin{Provider: providerID, AppID: acct.appID(), Next: safeNext(r.URL.Query().Get("next"))})
	if err != nil {
		h.internal(w, r, err)
		return
	}
	state, err := h.st.CreateSession(r.Context(), storage.SessionOAuth, string(pending), oauthTTL, h.now())
	if err != nil {
		h.internal(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: oauthCookie, Value: state,
		Path: "/auth/wechat", HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode, MaxAge: int(oauthTTL.Seconds())})
	u, err := acct.oauth.AuthorizeURL(h.cfg.BaseURL+"/auth/wechat/callback", state)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	http.Redirect(w, r, u, http.StatusFound)
}

// wechatCallback finishes the login: the state must be this browser's and
// not used before; the code is exchanged through the official account the
// login started with, and only if that provider still has it, so that a
// code of one AppID is never taken as an openid of another.
func (h *Handler) wechatCallback(w http.ResponseWriter, r *http.Request) {
	const expired = "登录已过期，请重新扫码"
	c, err := r.Cookie(oauthCookie)
	state := r.URL.Query().Get("state")
	if err != nil || h.oauth == nil || state == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(state)) != 1 {
		h.badInput(w, r, expired)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: oauthCookie, Value: "", Path: "/auth/wechat", MaxAge: -1})
	raw, err := h.st.TakeSession(r.Context(), storage.SessionOAuth, state, h.now())
	var pending pendingLogin
	if err == nil {
		err = json.Unmarshal([]byte(raw), &pending)
	}
	if err != nil {
		if !errors.Is(err, storage.ErrNotFound) {
			h.log.Warn("ui: wechat login state", "err", err)
		}
		h.badInput(w, r, expired)
		return
	}
	acct, err := h.accountOf(r.Context(), pending.Provider)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	if acct.appID() != pending.AppID {
		h.log.Info("ui: wechat login: the provider's official account changed during the login", "provider", pending.Provider)
		h.badInput(w, r, expired)
		return
	}
	code := r.URL.Query().Get("code")
	if code == "" {
		h.fail(w, r, http.StatusForbidden, "需要微信授权才能继续")
		return
	}
	openid, err := acct.oauth.OpenID(r.Context(), code)
	if err != nil {
		if errors.Is(err, wxauth.ErrSnapshotUser) {
			h.fail(w, r, http.StatusForbidden, "请在微信中打开完整页面后再试")
			return
		}
		h.log.Warn("ui: wechat oauth failed", "appid", acct.appID(), "err", err)
		h.fail(w, r, http.StatusBadGateway, "微信登录失败，请重新扫码")
		return
	}
	token, err := h.st.CreateWeChatSession(r.Context(), acct.scope, openid, h.cfg.SessionTTL, h.now())
	if err != nil {
		h.internal(w, r, err)
		return
	}
	h.setSession(w, wechatCookie, token)
	http.Redirect(w, r, safeNext(pending.Next), http.StatusSeeOther)
}

func (h *Handler) wechatLogout(w http.ResponseWriter, r *http.Request) {
	h.clearSession(w, r, wechatCookie)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
