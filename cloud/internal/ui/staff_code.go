package ui

import (
	"net/http"

	"github.com/qrstand/qrstand/cloud/internal/authz"
	"github.com/qrstand/qrstand/cloud/internal/model"
)

// staffFor loads a staff member whose role the caller may hand out (and
// so show, renew or remove), or answers 404.
func (h *Handler) staffFor(w http.ResponseWriter, r *http.Request) (model.Staff, authz.Roles, bool) {
	_, roles, ok := h.requireWeChat(w, r)
	if !ok {
		return model.Staff{}, nil, false
	}
	s, err := h.st.Staff(r.Context(), r.PathValue("id"))
	if err != nil {
		h.notFound(w, r)
		return s, nil, false
	}
	allowed := false
	if s.Role == model.RoleAdmin {
		_, allowed = roles.AdminOf(s.MerchantID)
	} else if st, err := h.st.Store(r.Context(), s.StoreID); err == nil {
		allowed = roles.CanAddRole(st, s.Role)
	}
	if !allowed {
		h.notFound(w, r)
		return s, nil, false
	}
	return s, roles, true
}

// staffCodeShow: one person's activation code, to show on screen or print.
func (h *Handler) staffCodeShow(w http.ResponseWriter, r *http.Request) {
	s, _, ok := h.staffFor(w, r)
	if !ok {
		return
	}
	rows, err := h.staffRows(r.Context(), []model.Staff{s})
	if err != nil {
		h.internal(w, r, err)
		return
	}
	m, st, err := h.activationScope(r.Context(), s)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	back := "/merchant/" + s.MerchantID
	if s.StoreID != "" {
		back = "/store/" + s.StoreID
	}
	h.render(w, r, http.StatusOK, "staff_code", view{"Row": rows[0], "Merchant": m, "Store": st, "Back": back})
}

// staffCodeRenew issues a new activation code (the old one stops working).
func (h *Handler) staffCodeRenew(w http.ResponseWriter, r *http.Request) {
	s, _, ok := h.staffFor(w, r)
	if !ok {
		return
	}
	if s.Active() {
		h.fail(w, r, http.StatusConflict, "已激活，无需新的激活码")
		return
	}
	if _, err := h.st.NewActivationCode(r.Context(), s.ID, h.cfg.CodeTTL, h.now()); err != nil {
		h.internal(w, r, err)
		return
	}
	http.Redirect(w, r, "/staff/"+s.ID+"/code", http.StatusSeeOther)
}
