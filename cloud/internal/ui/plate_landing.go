package ui

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/storage"
)

// plateLanding: a blank plate (空码). Once bound it is its store's code;
// before that, the first manager or admin of one of the provider's stores
// who scans it binds it.
func (h *Handler) plateLanding(w http.ResponseWriter, r *http.Request) {
	_, roles, ok := h.requireWeChat(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	p, err := h.st.Plate(ctx, r.PathValue("token"))
	if err != nil {
		h.notFound(w, r)
		return
	}
	if p.StoreID != "" {
		st, err := h.st.Store(ctx, p.StoreID)
		if err != nil {
			h.internal(w, r, err)
			return
		}
		h.payPage(w, r, st, roles, model.Staff{})
		return
	}
	stores, err := h.plateStores(r, roles, p)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	if len(stores) == 0 {
		h.fail(w, r, http.StatusNotFound, "这个收款码还没有启用。")
		return
	}
	h.render(w, r, http.StatusOK, "plate_bind", view{"Token": p.Token, "Stores": stores})
}

// plateStores are the stores the caller manages under the plate's provider.
func (h *Handler) plateStores(r *http.Request, roles []model.Staff, p model.Plate) ([]model.Store, error) {
	all, err := h.managedStores(r.Context(), roles)
	if err != nil {
		return nil, err
	}
	var out []model.Store
	for _, st := range all {
		m, err := h.st.Merchant(r.Context(), st.MerchantID)
		if err != nil {
			return nil, err
		}
		if m.ProviderID == p.ProviderID {
			out = append(out, st)
		}
	}
	return out, nil
}

func (h *Handler) plateBind(w http.ResponseWriter, r *http.Request) {
	_, roles, ok := h.requireWeChat(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	p, err := h.st.Plate(ctx, r.PathValue("token"))
	if err != nil {
		h.notFound(w, r)
		return
	}
	st, err := h.st.Store(ctx, r.PostFormValue("store"))
	if err != nil || !roles.CanManageStore(st) {
		h.notFound(w, r)
		return
	}
	if err := h.st.BindPlate(ctx, p.Token, st.ID, h.now()); err != nil {
		switch {
		case errors.Is(err, storage.ErrPlateBound):
			h.fail(w, r, http.StatusConflict, "这个收款码已经绑定了门店。")
		case errors.Is(err, storage.ErrNotFound):
			h.notFound(w, r)
		default:
			h.internal(w, r, err)
		}
		return
	}
	h.log.Info("ui: plate bound", "store", st.ID)
	// The store page confirms which plate was bound and lists it.
	http.Redirect(w, r, "/store/"+st.ID+"?bound="+url.QueryEscape(p.Token), http.StatusSeeOther)
}
