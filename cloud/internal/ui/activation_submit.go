package ui

import (
	"net/http"

	"github.com/qrstand/qrstand/cloud/internal/model"
)

// activationSubmit uses the code: the scanner's openid takes the role.
func (h *Handler) activationSubmit(w http.ResponseWriter, r *http.Request) {
	id, _, ok := h.requireIdentity(w, r)
	if !ok {
		return
	}
	openid := id.OpenID
	role := model.Role(r.PathValue("role"))
	// The role is held by the openid under the official account of the
	// code's provider, through which requireIdentity logged the scanner in.
	s, err := h.st.ActivateUnder(r.Context(), r.PathValue("token"), role, r.PathValue("scope"), id.Scope, openid, r.PostFormValue("notify") == "1", h.now())
	if err != nil {
		if status, msg, ok := activationMessage(err); ok {
			h.log.Info("ui: activation refused", "role", role, "err", err)
			h.fail(w, r, status, msg)
			return
		}
		h.internal(w, r, err)
		return
	}
	h.log.Info("ui: activated", "staff", s.ID, "role", s.Role, "openid", openid)
	m, st, err := h.activationScope(r.Context(), s)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	next := "/clerk/" + s.StoreID
	switch s.Role {
	case model.RoleAdmin:
		next = "/merchant/" + s.MerchantID
	case model.RoleManager:
		next = "/store/" + s.StoreID
	}
	h.render(w, r, http.StatusOK, "activated", view{"Staff": s, "Merchant": m, "Store": st, "Next": next})
}
