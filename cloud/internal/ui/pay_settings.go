package ui

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/money"
	"github.com/qrstand/qrstand/mqtt/biz"
)

// paySettingsShow: a store's payment limit (managers, admins) and, for
// admins, the merchant's result-page marketing slots.
func (h *Handler) paySettingsShow(w http.ResponseWriter, r *http.Request) {
	st, roles, ok := h.storeFor(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	limit, err := h.st.StoreLimit(ctx, st.ID)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	v := view{"Store": st, "Limit": ""}
	if limit > 0 {
		v["Limit"] = biz.FormatFen(limit)
	}
	if _, admin := roles.AdminOf(st.MerchantID); admin {
		mk, err := h.st.Marketing(ctx, st.MerchantID)
		if err != nil {
			h.internal(w, r, err)
			return
		}
		v["Admin"], v["Marketing"] = true, mk
	}
	h.render(w, r, http.StatusOK, "pay_settings", v)
}

// paySettingsSave stores the limit (empty = the default) and, for admins,
// the marketing slots (https links only).
func (h *Handler) paySettingsSave(w http.ResponseWriter, r *http.Request) {
	st, roles, ok := h.storeFor(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	_, admin := roles.AdminOf(st.MerchantID)
	var mk model.Marketing
	if admin {
		mk = model.Marketing{
			AdImageURL: strings.TrimSpace(r.PostFormValue("ad_image")), AdLinkURL: strings.TrimSpace(r.PostFormValue("ad_link")),
			ReviewURL: strings.TrimSpace(r.PostFormValue("review")), CouponText: strings.TrimSpace(r.PostFormValue("coupon")),
		}
	}
	// A refused form comes back filled in as typed, with the reason.
	again := func(msg string) {
		v := view{"Store": st, "Limit": r.PostFormValue("limit"), "Error": msg}
		if admin {
			v["Admin"], v["Marketing"] = true, mk
		}
		h.render(w, r, http.StatusUnprocessableEntity, "pay_settings", v)
	}
	var fen int64
	if v := strings.TrimSpace(r.PostFormValue("limit")); v != "" {
		var err error
		fen, err = money.ParseYuan(v, 0)
		var ie *money.InputError
		if errors.As(err, &ie) {
			again(ie.ZH)
			return
		}
	}
	if admin {
		for _, u := range []string{mk.AdImageURL, mk.AdLinkURL, mk.ReviewURL} {
			if u == "" {
				continue
			}
			if p, err := url.Parse(u); err != nil || p.Scheme != "https" || p.Host == "" || len(u) > 500 {
				again("链接必须以 https:// 开头")
				return
			}
		}
		if len([]rune(mk.CouponText)) > 60 {
			again("优惠券文字最多 60 字")
			return
		}
	}
	// Everything checked: now save.
	if err := h.st.SetStoreLimit(ctx, st.ID, fen); err != nil {
		h.internal(w, r, err)
		return
	}
	if admin {
		if err := h.st.SetMarketing(ctx, st.MerchantID, mk); err != nil {
			h.internal(w, r, err)
			return
		}
	}
	http.Redirect(w, r, "/store/"+st.ID+"/pay-settings", http.StatusSeeOther)
}
