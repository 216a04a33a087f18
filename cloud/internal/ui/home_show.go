package ui

import (
	"context"
	"net/http"

	"github.com/qrstand/qrstand/cloud/internal/authz"
	"github.com/qrstand/qrstand/cloud/internal/model"
)

// roleLink is one place a WeChat user can go with a role they hold.
type roleLink struct {
	Role  model.Role
	Name  string // merchant or store name
	Href  string
	Staff model.Staff
}

func (h *Handler) roleLinks(ctx context.Context, roles authz.Roles) []roleLink {
	var out []roleLink
	for _, s := range roles {
		switch s.Role {
		case model.RoleAdmin:
			if m, err := h.st.Merchant(ctx, s.MerchantID); err == nil {
				out = append(out, roleLink{Role: s.Role, Name: m.Name, Href: "/merchant/" + m.ID, Staff: s})
			}
		case model.RoleManager:
			if st, err := h.st.Store(ctx, s.StoreID); err == nil {
				out = append(out, roleLink{Role: s.Role, Name: st.Name, Href: "/store/" + st.ID, Staff: s})
			}
		case model.RoleClerk:
			if st, err := h.st.Store(ctx, s.StoreID); err == nil {
				out = append(out, roleLink{Role: s.Role, Name: st.Name, Href: "/clerk/" + st.ID, Staff: s})
			}
		}
	}
	return out
}

// homeShow: console users go to the console; WeChat users see their roles.
func (h *Handler) homeShow(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.consoleUser(r); ok {
		http.Redirect(w, r, "/console", http.StatusSeeOther)
		return
	}
	id, ok := h.openID(r)
	if !ok {
		h.render(w, r, http.StatusOK, "home", nil)
		return
	}
	roles, err := h.st.StaffByWeChat(r.Context(), id.Scope, id.OpenID)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "home", view{"OpenID": id.OpenID, "Roles": h.roleLinks(r.Context(), roles)})
}
