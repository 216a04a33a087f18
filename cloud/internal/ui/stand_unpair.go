package ui

import "net/http"

// standUnpair detaches a stand from its store; the stand is told (an
// unbound store.config) and goes back to its pairing screen.
func (h *Handler) standUnpair(w http.ResponseWriter, r *http.Request) {
	_, roles, ok := h.requireWeChat(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	stand, err := h.st.Stand(ctx, r.PathValue("id"))
	if err != nil || stand.StoreID == "" {
		h.notFound(w, r)
		return
	}
	st, err := h.st.Store(ctx, stand.StoreID)
	if err != nil || !roles.CanManageStore(st) {
		h.notFound(w, r)
		return
	}
	if err := h.st.UnpairStand(ctx, stand.ID); err != nil {
		h.internal(w, r, err)
		return
	}
	h.log.Info("ui: stand unpaired", "stand", stand.ID, "store", st.ID)
	h.stands.StandPaired(ctx, stand.ID)
	http.Redirect(w, r, "/store/"+st.ID, http.StatusSeeOther)
}
