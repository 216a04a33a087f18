package ui

import (
	"net/http"
)

// pairSubmit binds the stand to the chosen store; the stand then gets its
// store.config.
func (h *Handler) pairSubmit(w http.ResponseWriter, r *http.Request) {
	_, roles, ok := h.requireWeChat(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	st, err := h.st.Store(ctx, r.PostFormValue("store"))
	if err != nil || !roles.CanManageStore(st) {
		h.notFound(w, r)
		return
	}
	standID := r.PostFormValue("stand")
	stand, err := h.st.PairStand(ctx, standID, r.PostFormValue("code"), st.ID, h.now())
	if err != nil {
		h.log.Info("ui: pairing refused", "stand", standID, "err", err)
		h.fail(w, r, http.StatusBadRequest, "配对码无效或已过期。请在收款台上重新显示配对码。")
		return
	}
	h.log.Info("ui: stand paired", "stand", stand.ID, "store", st.ID)
	h.stands.StandPaired(ctx, stand.ID)
	h.render(w, r, http.StatusOK, "paired", view{"Stand": stand, "Store": st})
}
