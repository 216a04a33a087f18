package ui

import (
	"net/http"
	"strings"
)

// storeSettingsSave: name and switches; stands showing the store are told.
func (h *Handler) storeSettingsSave(w http.ResponseWriter, r *http.Request) {
	st, _, ok := h.storeFor(w, r)
	if !ok {
		return
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	if name == "" || len(name) > 100 {
		h.badInput(w, r, "请填写门店名称")
		return
	}
	st.Name = name
	st.NotifyOffShift = r.PostFormValue("notify_off_shift") == "1"
	st.Announce = r.PostFormValue("announce") == "1"
	st.PrintReceipts = r.PostFormValue("print_receipts") == "1"
	if err := h.st.UpdateStoreSettings(r.Context(), st); err != nil {
		h.internal(w, r, err)
		return
	}
	h.stands.StoreChanged(r.Context(), st.ID)
	http.Redirect(w, r, "/store/"+st.ID, http.StatusSeeOther)
}
