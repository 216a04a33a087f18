package ui

import (
	"errors"
	"net/http"
	"strings"

	"github.com/qrstand/qrstand/cloud/internal/storage"
)

// merchantCreate: a provider adds a sub-merchant and names its first admin.
func (h *Handler) merchantCreate(w http.ResponseWriter, r *http.Request) {
	u, ok := h.requireProvider(w, r)
	if !ok {
		return
	}
	in := storage.MerchantInput{
		Name:      strings.TrimSpace(r.PostFormValue("name")),
		SubMchID:  strings.TrimSpace(r.PostFormValue("sub_mchid")),
		AdminName: strings.TrimSpace(r.PostFormValue("admin_name")),
	}
	if in.Name == "" || in.AdminName == "" || len(in.Name) > 100 || len(in.AdminName) > 100 {
		h.badInput(w, r, "请填写商户名称和管理员姓名")
		return
	}
	if !validMchID(in.SubMchID) {
		h.badInput(w, r, "子商户号应为 8 到 12 位数字")
		return
	}
	m, _, _, err := h.st.CreateMerchant(r.Context(), u.ProviderID, in, h.cfg.CodeTTL, h.now())
	if err != nil {
		if errors.Is(err, storage.ErrConflict) {
			h.fail(w, r, http.StatusConflict, "该子商户号已添加")
			return
		}
		h.internal(w, r, err)
		return
	}
	h.log.Info("ui: merchant created", "merchant", m.ID, "provider", u.ProviderID)
	http.Redirect(w, r, "/console/merchants/"+m.ID, http.StatusSeeOther)
}

func validMchID(s string) bool {
	if len(s) < 8 || len(s) > 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
