package ui

import (
	"net/http"

	"github.com/qrstand/qrstand/cloud/internal/authz"
)

// consoleMerchantShow: the provider's view of one merchant: the management
// code and each admin's activation code, to view, download and print.
func (h *Handler) consoleMerchantShow(w http.ResponseWriter, r *http.Request) {
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
	stores, err := h.st.StoresByMerchant(ctx, m.ID)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "console_merchant", view{"User": u, "Merchant": m, "Admins": rows, "Stores": stores,
		"ManageURL": h.urls.Manage(m.ManageToken)})
}
