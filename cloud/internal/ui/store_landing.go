package ui

import (
	"net/http"

	"github.com/qrstand/qrstand/cloud/internal/authz"
	"github.com/qrstand/qrstand/cloud/internal/model"
)

// storeLanding: the fixed store code. Everyone gets the pay page (the
// payments work fills it in); staff also get their way in — the clerk's
// clock in/out, the manager's and admin's store page.
func (h *Handler) storeLanding(w http.ResponseWriter, r *http.Request) {
	_, roles, ok := h.requireWeChat(w, r)
	if !ok {
		return
	}
	st, err := h.st.StoreByCodeToken(r.Context(), r.PathValue("token"))
	if err != nil {
		h.notFound(w, r)
		return
	}
	h.payPage(w, r, st, roles, model.Staff{})
}

// payPage renders the pay page for a store, with staff links for staff.
func (h *Handler) payPage(w http.ResponseWriter, r *http.Request, st model.Store, roles authz.Roles, clerk model.Staff) {
	h.payPageView(w, r, st, roles, clerk, view{}, http.StatusOK)
}

// clerkCodeLanding: a clerk's personal code: a pay page whose payments
// notify only that clerk.
func (h *Handler) clerkCodeLanding(w http.ResponseWriter, r *http.Request) {
	_, roles, ok := h.requireWeChat(w, r)
	if !ok {
		return
	}
	clerk, err := h.st.StaffByClerkCode(r.Context(), r.PathValue("token"))
	if err != nil {
		h.notFound(w, r)
		return
	}
	st, err := h.st.Store(r.Context(), clerk.StoreID)
	if err != nil {
		h.notFound(w, r)
		return
	}
	h.payPage(w, r, st, roles, clerk)
}
