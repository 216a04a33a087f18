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

// clerkShow: clock in/out (上下班打卡), who else is on duty, the totals of
// the clerk's running shift (or of the one just ended), and the
// payment-message switch.
func (h *Handler) clerkShow(w http.ResponseWriter, r *http.Request) {
	st, me, ok := h.clerkFor(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	duty, err := h.st.OnDuty(ctx, st.ID)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	v := view{"Store": st, "Me": me}
	var others []string
	for _, sh := range duty {
		if sh.StaffID == me.ID {
			v["OnShift"], v["Shift"] = true, sh
			if sl, err := h.st.ShiftSlipOf(ctx, sh, h.now()); err == nil {
				v["Slip"] = sl
			}
			continue
		}
		if s, err := h.st.Staff(ctx, sh.StaffID); err == nil {
			others = append(others, s.Name)
		}
	}
	v["Others"] = others
	// Just clocked out: show the slip the stand is printing.
	if id := r.URL.Query().Get("ended"); id != "" && v["OnShift"] == nil {
		if sh, err := h.st.Shift(ctx, id); err == nil && sh.StaffID == me.ID && sh.StoreID == st.ID && !sh.Open() {
			if sl, err := h.st.ShiftSlipOf(ctx, sh, h.now()); err == nil {
				v["Ended"] = sl
			}
		}
	}
	h.render(w, r, http.StatusOK, "clerk", v)
}

func (h *Handler) clockIn(w http.ResponseWriter, r *http.Request) {
	st, me, ok := h.clerkFor(w, r)
	if !ok {
		return
	}
	if _, _, err := h.st.ClockIn(r.Context(), st.ID, me.ID, h.now()); err != nil {
		h.internal(w, r, err)
		return
	}
	http.Redirect(w, r, "/clerk/"+st.ID, http.StatusSeeOther)
}

// clockOut ends the clerk's shift; the stands print its 交班单 (the
// shift.closed row is written with the clock-out) and the page shows the
// same totals.
func (h *Handler) clockOut(w http.ResponseWriter, r *http.Request) {
	st, me, ok := h.clerkFor(w, r)
	if !ok {
		return
	}
	sl, err := h.st.ClockOut(r.Context(), st.ID, me.ID, h.now())
	if err != nil {
		if errors.Is(err, storage.ErrNotOnShift) {
			// Already off duty (a double tap): the page says so.
			http.Redirect(w, r, "/clerk/"+st.ID, http.StatusSeeOther)
			return
		}
		h.internal(w, r, err)
		return
	}
	h.kick()
	http.Redirect(w, r, "/clerk/"+st.ID+"?ended="+sl.Shift.ID, http.StatusSeeOther)
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
