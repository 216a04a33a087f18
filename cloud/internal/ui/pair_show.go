package ui

import (
	"context"
	"net/http"

	"github.com/qrstand/qrstand/cloud/internal/authz"
	"github.com/qrstand/qrstand/cloud/internal/model"
)

// managedStores lists every store the caller may manage.
func (h *Handler) managedStores(ctx context.Context, roles authz.Roles) ([]model.Store, error) {
	seen := map[string]bool{}
	var out []model.Store
	for _, s := range roles {
		var list []model.Store
		switch s.Role {
		case model.RoleAdmin:
			l, err := h.st.StoresByMerchant(ctx, s.MerchantID)
			if err != nil {
				return nil, err
			}
			list = l
		case model.RoleManager:
			st, err := h.st.Store(ctx, s.StoreID)
			if err != nil {
				return nil, err
			}
			list = []model.Store{st}
		}
		for _, st := range list {
			if !seen[st.ID] {
				seen[st.ID] = true
				out = append(out, st)
			}
		}
	}
	return out, nil
}

// pairShow: the page a stand's pairing QR opens: pick the store to bind.
func (h *Handler) pairShow(w http.ResponseWriter, r *http.Request) {
	_, roles, ok := h.requireWeChat(w, r)
	if !ok {
		return
	}
	standID, code := r.URL.Query().Get("stand"), r.URL.Query().Get("code")
	stores, err := h.managedStores(r.Context(), roles)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	if len(stores) == 0 {
		h.fail(w, r, http.StatusForbidden, "只有店长或商户管理员可以绑定收款台。")
		return
	}
	if _, err := h.st.CheckPairCode(r.Context(), standID, code, h.now()); err != nil {
		h.fail(w, r, http.StatusBadRequest, "配对码无效或已过期。请在收款台上重新显示配对码。")
		return
	}
	h.render(w, r, http.StatusOK, "pair", view{"StandID": standID, "Code": code, "Stores": stores})
}
