package ui

import (
	"net/http"
	"strings"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/storage"
)

// storeCreate: an admin adds a store and, optionally, its manager.
func (h *Handler) storeCreate(w http.ResponseWriter, r *http.Request) {
	m, _, ok := h.merchantFor(w, r)
	if !ok {
		return
	}
	in := storage.StoreInput{Name: strings.TrimSpace(r.PostFormValue("name")), ManagerName: strings.TrimSpace(r.PostFormValue("manager_name"))}
	if in.Name == "" || len(in.Name) > 100 || len(in.ManagerName) > 100 {
		h.badInput(w, r, "请填写门店名称")
		return
	}
	st, _, _, err := h.st.CreateStore(r.Context(), m.ID, in, h.cfg.CodeTTL, h.now())
	if err != nil {
		h.internal(w, r, err)
		return
	}
	h.log.Info("ui: store created", "store", st.ID, "merchant", m.ID)
	http.Redirect(w, r, "/store/"+st.ID, http.StatusSeeOther)
}

// merchantAdminCreate: an admin adds another admin (each gets its own
// activation code).
func (h *Handler) merchantAdminCreate(w http.ResponseWriter, r *http.Request) {
	m, _, ok := h.merchantFor(w, r)
	if !ok {
		return
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	if name == "" || len(name) > 100 {
		h.badInput(w, r, "请填写姓名")
		return
	}
	s, _, err := h.st.AddStaff(r.Context(), storage.StaffInput{MerchantID: m.ID, Role: model.RoleAdmin, Name: name, CanRefund: r.PostFormValue("can_refund") == "1"}, h.cfg.CodeTTL, h.now())
	if err != nil {
		h.internal(w, r, err)
		return
	}
	http.Redirect(w, r, "/staff/"+s.ID+"/code", http.StatusSeeOther)
}
