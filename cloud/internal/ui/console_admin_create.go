package ui

import (
	"net/http"
	"strings"

	"github.com/qrstand/qrstand/cloud/internal/authz"
	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/storage"
)

// consoleAdminCreate: the provider names another admin of a merchant.
func (h *Handler) consoleAdminCreate(w http.ResponseWriter, r *http.Request) {
	u, ok := h.requireConsole(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	m, err := h.st.Merchant(ctx, r.PathValue("id"))
	if err != nil || !authz.ProviderOwns(u, m) {
		h.notFound(w, r)
		return
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	if name == "" || len(name) > 100 {
		h.badInput(w, r, "请填写姓名")
		return
	}
	if _, _, err := h.st.AddStaff(ctx, storage.StaffInput{MerchantID: m.ID, Role: model.RoleAdmin, Name: name, CanRefund: r.PostFormValue("can_refund") == "1"}, h.cfg.CodeTTL, h.now()); err != nil {
		h.internal(w, r, err)
		return
	}
	http.Redirect(w, r, "/console/merchants/"+m.ID, http.StatusSeeOther)
}

// consoleCodeRenew: a new activation code for one of the provider's
// merchants' admins (the old one stops working).
func (h *Handler) consoleCodeRenew(w http.ResponseWriter, r *http.Request) {
	u, ok := h.requireConsole(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	s, err := h.st.Staff(ctx, r.PathValue("id"))
	if err != nil || s.Role != model.RoleAdmin {
		h.notFound(w, r)
		return
	}
	m, err := h.st.Merchant(ctx, s.MerchantID)
	if err != nil || !authz.ProviderOwns(u, m) {
		h.notFound(w, r)
		return
	}
	if s.Active() {
		h.fail(w, r, http.StatusConflict, "该管理员已激活，无需新的激活码")
		return
	}
	if _, err := h.st.NewActivationCode(ctx, s.ID, h.cfg.CodeTTL, h.now()); err != nil {
		h.internal(w, r, err)
		return
	}
	http.Redirect(w, r, "/console/merchants/"+m.ID, http.StatusSeeOther)
}
