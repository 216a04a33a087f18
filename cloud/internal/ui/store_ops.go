package ui

import (
	"errors"
	"net/http"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/storage"
	"github.com/qrstand/qrstand/mqtt/biz"
)

// Pages a manager (or an admin of the merchant) runs a store with: the
// orders list, the shift records, their own payment-message switch.

func (h *Handler) storeOpsRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /store/{id}/orders", h.storeOrders)
	mux.HandleFunc("GET /store/{id}/shifts", h.storeShifts)
	mux.HandleFunc("POST /store/{id}/shifts/{shift}/end", h.storeShiftEnd)
	mux.HandleFunc("POST /store/{id}/notify", h.storeNotifySet)
	mux.HandleFunc("POST /merchant/{id}/notify", h.merchantNotifySet)
}

// orderStates are the states the orders list filters on, in display order.
var orderStates = []string{model.OrderSuccess, model.OrderRefund, model.OrderNotPay, model.OrderClosed}

// storeOrders lists a store's orders of one Shanghai day (default today),
// filtered by clerk, code and state.
func (h *Handler) storeOrders(w http.ResponseWriter, r *http.Request) {
	st, _, ok := h.storeFor(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	q := r.URL.Query()
	now := h.now().In(biz.Zone)
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, biz.Zone)
	v := view{"Store": st, "States": orderStates}
	if s := q.Get("day"); s != "" {
		t, err := time.ParseInLocation("2006-01-02", s, biz.Zone)
		if err != nil {
			v["FilterError"] = "日期格式应为 2026-11-25"
		} else {
			day = t
		}
	}
	f := storage.OrderFilter{StoreID: st.ID, From: day, To: day.AddDate(0, 0, 1)}
	staff, err := h.st.StaffByScope(ctx, st.MerchantID, st.ID)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	names := map[string]string{}
	var clerks []model.Staff
	for _, s := range staff {
		names[s.ID] = s.Name
		if s.Role == model.RoleClerk {
			clerks = append(clerks, s)
		}
	}
	// Unknown values are ignored rather than trusted: they only filter.
	if c := q.Get("clerk"); c != "" && names[c] != "" {
		f.StaffID = c
	}
	if c := q.Get("code"); c == "store" || (c != "" && names[c] != "") {
		f.Code = c
	}
	for _, s := range orderStates {
		if q.Get("state") == s {
			f.State = s
		}
	}
	orders, err := h.st.Orders(ctx, f)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	var sum int64
	type line struct {
		model.Order
		Yuan, Who, Code string
	}
	var lines []line
	for _, o := range orders {
		l := line{Order: o, Yuan: biz.FormatFen(o.AmountFen), Code: "门店码"}
		if o.ClerkID != "" {
			l.Code, l.Who = "店员码", names[o.ClerkID]
		} else {
			l.Who = names[o.OnDutyID]
		}
		if o.Paid() {
			sum += o.AmountFen - o.RefundedFen
		}
		lines = append(lines, l)
	}
	v["Orders"], v["Net"], v["Count"] = lines, biz.FormatFen(sum), len(lines)
	v["Day"], v["Clerk"], v["Code"], v["State"], v["Clerks"] = day.Format("2006-01-02"), f.StaffID, f.Code, f.State, clerks
	h.render(w, r, http.StatusOK, "orders", v)
}

// storeShifts: the store's shift records with each one's totals (what its
// 交班单 printed, or would print now if still open).
func (h *Handler) storeShifts(w http.ResponseWriter, r *http.Request) {
	st, _, ok := h.storeFor(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	shifts, err := h.st.Shifts(ctx, st.ID, 50)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	slips := make([]storage.ShiftSlip, 0, len(shifts))
	for _, sh := range shifts {
		sl, err := h.st.ShiftSlipOf(ctx, sh, h.now())
		if err != nil {
			h.internal(w, r, err)
			return
		}
		slips = append(slips, sl)
	}
	h.render(w, r, http.StatusOK, "shifts", view{"Store": st, "Slips": slips})
}

// storeShiftEnd: a manager ends a clerk's forgotten shift; its slip prints.
func (h *Handler) storeShiftEnd(w http.ResponseWriter, r *http.Request) {
	st, _, ok := h.storeFor(w, r)
	if !ok {
		return
	}
	sh, err := h.st.Shift(r.Context(), r.PathValue("shift"))
	if err != nil || sh.StoreID != st.ID {
		h.notFound(w, r)
		return
	}
	if _, err := h.st.EndShift(r.Context(), sh.ID, h.now()); err != nil && !errors.Is(err, storage.ErrNotOnShift) {
		h.internal(w, r, err)
		return
	}
	h.kick()
	http.Redirect(w, r, "/store/"+st.ID+"/shifts", http.StatusSeeOther)
}

// storeNotifySet switches the calling manager's payment messages for the
// store (an admin uses the merchant page: theirs cover every store).
func (h *Handler) storeNotifySet(w http.ResponseWriter, r *http.Request) {
	st, roles, ok := h.storeFor(w, r)
	if !ok {
		return
	}
	me, ok := roles.ManagerOf(st.ID)
	if !ok {
		h.notFound(w, r)
		return
	}
	if err := h.st.SetNotify(r.Context(), me.ID, r.PostFormValue("notify") == "1"); err != nil {
		h.internal(w, r, err)
		return
	}
	http.Redirect(w, r, "/store/"+st.ID, http.StatusSeeOther)
}

// merchantNotifySet switches the calling admin's payment messages for
// every store of the merchant.
func (h *Handler) merchantNotifySet(w http.ResponseWriter, r *http.Request) {
	m, roles, ok := h.merchantFor(w, r)
	if !ok {
		return
	}
	me, _ := roles.AdminOf(m.ID)
	if err := h.st.SetNotify(r.Context(), me.ID, r.PostFormValue("notify") == "1"); err != nil {
		h.internal(w, r, err)
		return
	}
	http.Redirect(w, r, "/merchant/"+m.ID, http.StatusSeeOther)
}
