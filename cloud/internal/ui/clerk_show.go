package ui

import (
	"errors"
	"net/http"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/storage"
)

// clerkFor loads a store where the caller is a clerk, or answers 404.
func (h *Handler) clerkFor(w http.ResponseWriter, r *http.Request) (model.Store, model.Staff, bool) {
	_, roles, ok := h.requireWeChat(w, r)
	if !ok {
		return model.Store{}, model.Staff{}, false
	}
	st, err := h.st.Store(r.Context(), r.PathValue("id"))
	if err != nil {
		h.notFound(w, r)
		return st, model.Staff{}, false
	}
	me, ok := roles.ClerkOf(st.ID)
	if !ok {
		h.notFound(w, r)
		return st, me, false
	}
	return st, me, true
}

// clerkShow: clock in/out (上下班打卡) and the payment-message switch.
func (h *Handler) clerkShow(w http.ResponseWriter, r *http.Request) {
	st, me, ok := h.clerkFor(w, r)
	if !ok {
		return
	}
	open, err := h.st.OpenShift(r.Context(), st.ID)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		h.internal(w, r, err)
		return
	}
	onShift := err == nil && open.StaffID == me.ID
	var other string
	if err == nil && !onShift {
		if s, err := h.st.Staff(r.Context(), open.StaffID); err == nil {
			other = s.Name
		}
	}
	h.render(w, r, http.StatusOK, "clerk", view{"Store": st, "Me": me, "OnShift": onShift, "Shift": open, "OtherOnShift": other,
		"Ended": r.URL.Query().Get("ended")})
}

func (h *Handler) clockIn(w http.ResponseWriter, r *http.Request) {
	st, me, ok := h.clerkFor(w, r)
	if !ok {
		return
	}
	_, ended, err := h.st.ClockIn(r.Context(), st.ID, me.ID, h.now())
	if err != nil {
		h.internal(w, r, err)
		return
	}
	target := "/clerk/" + st.ID
	if ended != nil && ended.StaffID != me.ID {
		// The previous clerk forgot to clock out; their shift ended now.
		target += "?ended=1"
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

func (h *Handler) clockOut(w http.ResponseWriter, r *http.Request) {
	st, me, ok := h.clerkFor(w, r)
	if !ok {
		return
	}
	if _, err := h.st.ClockOut(r.Context(), st.ID, me.ID, h.now()); err != nil {
		if errors.Is(err, storage.ErrNotOnShift) {
			h.fail(w, r, http.StatusConflict, "你当前不在班上。")
			return
		}
		h.internal(w, r, err)
		return
	}
	http.Redirect(w, r, "/clerk/"+st.ID, http.StatusSeeOther)
}

func (h *Handler) notifySet(w http.ResponseWriter, r *http.Request) {
	st, me, ok := h.clerkFor(w, r)
	if !ok {
		return
	}
	if err := h.st.SetNotify(r.Context(), me.ID, r.PostFormValue("notify") == "1"); err != nil {
		h.internal(w, r, err)
		return
	}
	http.Redirect(w, r, "/clerk/"+st.ID, http.StatusSeeOther)
}
