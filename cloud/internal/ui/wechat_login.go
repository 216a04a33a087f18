package ui

import (
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

// wechatLogin starts snsapi_base OAuth through the official account of
// provider ?p= (the deployment's without one). It writes nothing: the
// state, bound to this browser by a short-lived cookie and, by a MAC, to
// the provider, its AppID and where to go afterwards, travels with the
// browser (login_state.go).
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
	pending := pendingLogin{Provider: providerID, AppID: acct.appID(), Next: safeNext(r.URL.Query().Get("next"))}
	state, cookie, err := h.loginStates().issue(pending, h.now())
	if err != nil {
		h.internal(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: oauthCookie, Value: cookie,
		Path: "/auth/wechat", HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode, MaxAge: int(oauthTTL.Seconds())})
	u, err := acct.oauth.AuthorizeURL(h.cfg.BaseURL+"/auth/wechat/callback", state)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	http.Redirect(w, r, u, http.StatusFound)
}

// wechatCallback finishes the login: the state must be this browser's,
// unchanged, unexpired and not used before; the code is exchanged through
// the official account the login started with, and only if that provider
// still has it, so that a code of one AppID is never taken as an openid of
// another. Only a successful exchange records the state as used.
func (h *Handler) wechatCallback(w http.ResponseWriter, r *http.Request) {
	const expired = "登录已过期，请重新扫码"
	ctx := r.Context()
	c, err := r.Cookie(oauthCookie)
	if err != nil || h.oauth == nil {
		h.badInput(w, r, expired)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: oauthCookie, Value: "", Path: "/auth/wechat", MaxAge: -1})
	login, err := h.loginStates().open(r.URL.Query().Get("state"), c.Value, h.now())
	if err != nil {
		h.log.Debug("ui: wechat login state refused", "err", err)
		h.badInput(w, r, expired)
		return
	}
	used, err := h.st.OAuthStateUsed(ctx, login.nonce)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	if used {
		h.log.Debug("ui: wechat login state refused", "err", "used before")
		h.badInput(w, r, expired)
		return
	}
	pending := login.pending
	acct, err := h.accountOf(ctx, pending.Provider)
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
	openid, err := acct.oauth.OpenID(ctx, code)
	if err != nil {
		if errors.Is(err, wxauth.ErrSnapshotUser) {
			h.fail(w, r, http.StatusForbidden, "请在微信中打开完整页面后再试")
			return
		}
		h.log.Warn("ui: wechat oauth failed", "appid", acct.appID(), "err", err)
		h.fail(w, r, http.StatusBadGateway, "微信登录失败，请重新扫码")
		return
	}
	if err := h.st.UseOAuthState(ctx, login.nonce, login.expires, h.now()); err != nil {
		if !errors.Is(err, storage.ErrConflict) {
			h.internal(w, r, err)
			return
		}
		h.log.Info("ui: wechat login state used twice at once", "appid", acct.appID())
		h.badInput(w, r, expired)
		return
	}
	token, err := h.st.CreateWeChatSession(ctx, acct.scope, openid, h.cfg.SessionTTL, h.now())
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
