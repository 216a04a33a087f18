package ui

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/qrstand/qrstand/cloud/internal/authz"
	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/storage"
)

const (
	consoleCookie = "qrs_console"
	wechatCookie  = "qrs_wx"
)

func (h *Handler) setSession(w http.ResponseWriter, name, token string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: token, Path: "/", HttpOnly: true, Secure: h.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(h.cfg.SessionTTL.Seconds())})
}

func (h *Handler) clearSession(w http.ResponseWriter, r *http.Request, name string) {
	if c, err := r.Cookie(name); err == nil {
		if err := h.st.DeleteSession(r.Context(), c.Value); err != nil {
			h.log.Error("ui: delete session", "err", err)
		}
	}
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// consoleUser returns the logged-in console user, if any.
func (h *Handler) consoleUser(r *http.Request) (model.ConsoleUser, bool) {
	c, err := r.Cookie(consoleCookie)
	if err != nil {
		return model.ConsoleUser{}, false
	}
	id, err := h.st.SessionSubject(r.Context(), storage.SessionConsole, c.Value, h.now())
	if err != nil {
		if !errors.Is(err, storage.ErrNotFound) {
			h.log.Error("ui: console session", "err", err)
		}
		return model.ConsoleUser{}, false
	}
	u, err := h.st.ConsoleUser(r.Context(), id)
	if err != nil {
		return model.ConsoleUser{}, false
	}
	return u, true
}

// requireConsole returns the console user or sends the browser to log in.
func (h *Handler) requireConsole(w http.ResponseWriter, r *http.Request) (model.ConsoleUser, bool) {
	u, ok := h.consoleUser(r)
	if !ok {
		http.Redirect(w, r, "/console/login", http.StatusSeeOther)
	}
	return u, ok
}

// requireProvider is requireConsole for provider-only pages; others get 404.
func (h *Handler) requireProvider(w http.ResponseWriter, r *http.Request) (model.ConsoleUser, bool) {
	u, ok := h.requireConsole(w, r)
	if ok && (u.Role != model.ConsoleProvider || u.ProviderID == "") {
		h.notFound(w, r)
		return u, false
	}
	return u, ok
}

// wxIdentity is a WeChat user: an openid and the official account it
// belongs to.
type wxIdentity struct {
	Scope  string // app_id as recorded: "" for the deployment's account
	OpenID string
}

// openID returns the WeChat user of this browser, if known.
func (h *Handler) openID(r *http.Request) (wxIdentity, bool) {
	c, err := r.Cookie(wechatCookie)
	if err != nil {
		return wxIdentity{}, false
	}
	scope, openid, err := h.st.WeChatSession(r.Context(), c.Value, h.now())
	if err != nil {
		return wxIdentity{}, false
	}
	return wxIdentity{Scope: scope, OpenID: openid}, true
}

// requireWeChat returns the caller's openid and roles, or starts OAuth and
// comes back to this page (GET) or the referring page.
func (h *Handler) requireWeChat(w http.ResponseWriter, r *http.Request) (string, authz.Roles, bool) {
	id, roles, ok := h.requireIdentity(w, r)
	return id.OpenID, roles, ok
}

// requireIdentity is requireWeChat with the official account of the
// openid. The caller must be logged in through the official account of the
// provider whose store, merchant, staff member or order the page is about
// (providerOf); a session under another AppID logs in again, through that
// provider's account. Roles are those held under the session's AppID only.
func (h *Handler) requireIdentity(w http.ResponseWriter, r *http.Request) (wxIdentity, authz.Roles, bool) {
	providerID, err := h.providerOf(r)
	if err != nil {
		h.internal(w, r, err)
		return wxIdentity{}, nil, false
	}
	id, ok := h.openID(r)
	if ok && providerID != anyProvider {
		acct, err := h.accountOf(r.Context(), providerID)
		if err != nil {
			h.internal(w, r, err)
			return wxIdentity{}, nil, false
		}
		ok = id.Scope == acct.scope
	}
	if !ok {
		next := r.URL.RequestURI()
		if r.Method != http.MethodGet {
			next = "/"
		}
		q := url.Values{"next": {next}}
		if providerID != anyProvider && providerID != "" {
			q.Set("p", providerID)
		}
		http.Redirect(w, r, "/auth/wechat?"+q.Encode(), http.StatusSeeOther)
		return wxIdentity{}, nil, false
	}
	roles, err := h.st.StaffByWeChat(r.Context(), id.Scope, id.OpenID)
	if err != nil {
		h.internal(w, r, err)
		return wxIdentity{}, nil, false
	}
	return id, authz.Roles(roles), true
}

// safeNext keeps redirects on this site: next must be a plain absolute
// path (with an optional query) made only of printable ASCII other than a
// backslash, starting with one slash and not two. Anything else gives "/".
// Browsers drop tabs and newlines inside URLs and read a backslash as "/", so
// "/\t/evil.example" or "/\\evil.example" would otherwise leave the site.
func safeNext(next string) string {
	if next == "" || len(next) > 2048 || next[0] != '/' || (len(next) > 1 && (next[1] == '/' || next[1] == '\\')) {
		return "/"
	}
	for i := 0; i < len(next); i++ {
		if c := next[i]; c <= ' ' || c >= 0x7f || c == '\\' {
			return "/"
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		return "/"
	}
	return next
}
