package ui

import (
	"net/http"

	"github.com/qrstand/qrstand/cloud/internal/authz"
	"github.com/qrstand/qrstand/cloud/internal/model"
)

// merchantFor loads a merchant the caller administers, or answers 404.
func (h *Handler) merchantFor(w http.ResponseWriter, r *http.Request) (model.Merchant, authz.Roles, bool) {
	_, roles, ok := h.requireWeChat(w, r)
	if !ok {
		return model.Merchant{}, nil, false
	}
	m, err := h.st.Merchant(r.Context(), r.PathValue("id"))
	if err != nil {
		h.notFound(w, r)
		return m, nil, false
	}
	if _, ok := roles.AdminOf(m.ID); !ok {
		h.notFound(w, r)
		return m, nil, false
	}
	return m, roles, true
}

// merchantShow: the admin's merchant page: stores, admins, management code.
func (h *Handler) merchantShow(w http.ResponseWriter, r *http.Request) {
	m, roles, ok := h.merchantFor(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	stores, err := h.st.StoresByMerchant(ctx, m.ID)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	admins, err := h.st.StaffByScope(ctx, m.ID, "")
	if err != nil {
		h.internal(w, r, err)
		return
	}
	rows, err := h.staffRows(ctx, admins)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	me, _ := roles.AdminOf(m.ID)
	h.render(w, r, http.StatusOK, "merchant", view{"Merchant": m, "Stores": stores, "Admins": rows, "Me": me,
		"ManageURL": h.urls.Manage(m.ManageToken)})
}
