package ui

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/storage"
	"github.com/qrstand/qrstand/cloud/internal/wxauth"
)

// An openid is only meaningful under the official account (AppID) that
// issued it: the same person has another openid under another AppID, and
// WeChat Pay wants the payer's openid under the sp_appid it pays with. So
// the people in a provider's stores log in through that provider's own
// official account when it entered one (AppID and AppSecret under
// 微信支付设置), through the deployment's otherwise, and a session, a role
// and a payer all carry the AppID of their openid.

// officialAccount is the official account people log in through.
type officialAccount struct {
	// scope is what sessions and staff rows record as app_id: "" for the
	// deployment's account (every row made before AppIDs were recorded),
	// the provider's AppID otherwise.
	scope string
	oauth *wxauth.OAuth
}

// appID is the account's AppID.
func (a officialAccount) appID() string {
	if a.oauth == nil {
		return ""
	}
	return a.oauth.AppID()
}

// accountOf is the official account that identifies people in provider's
// stores, its AppSecret unsealed from storage. An unknown provider gets the
// deployment's, as does one without a complete official account of its
// own or one that entered the deployment's AppID.
func (h *Handler) accountOf(ctx context.Context, providerID string) (officialAccount, error) {
	def := officialAccount{oauth: h.oauth}
	if providerID == "" || h.oauth == nil { // without WeChat login, only sessions made elsewhere (tests)
		return def, nil
	}
	p, err := h.st.Provider(ctx, providerID)
	if errors.Is(err, storage.ErrNotFound) {
		return def, nil
	}
	if err != nil {
		return def, err
	}
	if p.SPAppID == "" || p.SPAppID == h.oauth.AppID() {
		return def, nil
	}
	sec, err := h.st.ProviderSecrets(ctx, providerID)
	if err != nil {
		return def, err
	}
	if sec.AppSecret == "" {
		return def, nil
	}
	return officialAccount{scope: p.SPAppID, oauth: h.oauth.For(p.SPAppID, sec.AppSecret)}, nil
}

// appIDOf turns a recorded scope back into the AppID.
func (h *Handler) appIDOf(scope string) string {
	if scope == "" {
		return officialAccount{oauth: h.oauth}.appID()
	}
	return scope
}

// anyProvider: a page outside any one provider's stores (the home page, a
// stand's pairing page), which takes whichever WeChat session the browser
// has.
const anyProvider = "\x00any"

// providerOf names the provider whose official account identifies the
// caller of r, from the resource r's route names: a store (by code, clerk
// code, plate or id), a merchant, a staff member, a stand or an order. A
// resource that does not exist falls back to the deployment's account, so
// that, before login, it looks like any store of a provider without its
// own account.
func (h *Handler) providerOf(r *http.Request) (string, error) {
	ctx := r.Context()
	_, path, _ := strings.Cut(r.Pattern, " ")
	first, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	id := r.PathValue("id")
	var storeID, merchantID string
	switch first {
	case "s":
		st, err := h.st.StoreByCodeToken(ctx, r.PathValue("token"))
		if err != nil {
			return "", notFoundOK(err)
		}
		merchantID = st.MerchantID
	case "c":
		s, err := h.st.StaffByClerkCode(ctx, r.PathValue("token"))
		if err != nil {
			return "", notFoundOK(err)
		}
		merchantID = s.MerchantID
	case "p":
		p, err := h.st.Plate(ctx, r.PathValue("token"))
		if err != nil {
			return "", notFoundOK(err)
		}
		return p.ProviderID, nil
	case "m":
		m, err := h.st.MerchantByManageToken(ctx, r.PathValue("token"))
		if err != nil {
			return "", notFoundOK(err)
		}
		return m.ProviderID, nil
	case "activate":
		if model.Role(r.PathValue("role")) == model.RoleAdmin {
			merchantID = r.PathValue("scope")
		} else {
			storeID = r.PathValue("scope")
		}
	case "merchant":
		merchantID = id
	case "store", "clerk":
		storeID = id
	case "pay":
		storeID = r.PathValue("store")
	case "staff":
		s, err := h.st.Staff(ctx, id)
		if err != nil {
			return "", notFoundOK(err)
		}
		merchantID = s.MerchantID
	case "stand":
		s, err := h.st.Stand(ctx, id)
		if err != nil {
			return "", notFoundOK(err)
		}
		storeID = s.StoreID
	case "o":
		o, err := h.st.Order(ctx, r.PathValue("no"))
		if err != nil {
			return "", notFoundOK(err)
		}
		return o.ProviderID, nil
	default:
		return anyProvider, nil
	}
	if storeID != "" {
		st, err := h.st.Store(ctx, storeID)
		if err != nil {
			return "", notFoundOK(err)
		}
		merchantID = st.MerchantID
	}
	if merchantID == "" {
		return "", nil
	}
	m, err := h.st.Merchant(ctx, merchantID)
	if err != nil {
		return "", notFoundOK(err)
	}
	return m.ProviderID, nil
}

// notFoundOK drops ErrNotFound: the handler answers 404 after login.
func notFoundOK(err error) error {
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	return err
}
