package ui

import (
	"net/http"
	"strconv"
)

type plateRow struct {
	Token, URL, StoreID string
	Bound               bool
}

// plateList: the provider's blank plates (空码), printable before binding.
func (h *Handler) plateList(w http.ResponseWriter, r *http.Request) {
	u, ok := h.requireProvider(w, r)
	if !ok {
		return
	}
	plates, err := h.st.PlatesByProvider(r.Context(), u.ProviderID)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	rows := make([]plateRow, 0, len(plates))
	for _, p := range plates {
		rows = append(rows, plateRow{Token: p.Token, URL: h.urls.Plate(p.Token), StoreID: p.StoreID, Bound: p.StoreID != ""})
	}
	h.render(w, r, http.StatusOK, "plates", view{"User": u, "Plates": rows})
}

func (h *Handler) plateCreate(w http.ResponseWriter, r *http.Request) {
	u, ok := h.requireProvider(w, r)
	if !ok {
		return
	}
	n, err := strconv.Atoi(r.PostFormValue("count"))
	if err != nil || n < 1 || n > 100 {
		h.badInput(w, r, "数量应为 1 到 100")
		return
	}
	if _, err := h.st.CreatePlates(r.Context(), u.ProviderID, n, h.now()); err != nil {
		h.internal(w, r, err)
		return
	}
	http.Redirect(w, r, "/console/plates", http.StatusSeeOther)
}
