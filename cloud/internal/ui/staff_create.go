package ui

import (
	"net/http"
	"strings"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/storage"
)

// staffCreate: admins add managers and clerks to a store; managers add
// clerks. The new person's activation code is shown next.
func (h *Handler) staffCreate(w http.ResponseWriter, r *http.Request) {
	st, roles, ok := h.storeFor(w, r)
	if !ok {
		return
	}
	role := model.Role(r.PostFormValue("role"))
	if role != model.RoleManager && role != model.RoleClerk {
		h.badInput(w, r, "请选择店长或店员")
		return
	}
	if !roles.CanAddRole(st, role) {
		h.notFound(w, r)
		return
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	if name == "" || len(name) > 100 {
		h.badInput(w, r, "请填写姓名")
		return
	}
	s, _, err := h.st.AddStaff(r.Context(), storage.StaffInput{MerchantID: st.MerchantID, StoreID: st.ID, Role: role, Name: name,
		CanRefund: role == model.RoleManager && r.PostFormValue("can_refund") == "1", ClerkCode: r.PostFormValue("clerk_code") == "1"}, h.cfg.CodeTTL, h.now())
	if err != nil {
		h.internal(w, r, err)
		return
	}
	http.Redirect(w, r, "/staff/"+s.ID+"/code", http.StatusSeeOther)
}
