package ui

import (
	"net/http"

	"github.com/qrstand/qrstand/cloud/internal/authz"
	"github.com/qrstand/qrstand/cloud/internal/model"
)

// storeFor loads a store the caller manages (its merchant's admin or its
// manager), or answers 404.
func (h *Handler) storeFor(w http.ResponseWriter, r *http.Request) (model.Store, authz.Roles, bool) {
	_, roles, ok := h.requireWeChat(w, r)
	if !ok {
		return model.Store{}, nil, false
	}
	st, err := h.st.Store(r.Context(), r.PathValue("id"))
	if err != nil || !roles.CanManageStore(st) {
		h.notFound(w, r)
		return st, nil, false
	}
	return st, roles, true
}

// storeShow: the store page for admins and managers: codes, staff, stands,
// settings and recent shifts.
func (h *Handler) storeShow(w http.ResponseWriter, r *http.Request) {
	st, roles, ok := h.storeFor(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	staff, err := h.st.StaffByScope(ctx, st.MerchantID, st.ID)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	rows, err := h.staffRows(ctx, staff)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	var managers, clerks []staffRow
	for _, s := range rows {
		if s.Role == model.RoleManager {
			managers = append(managers, s)
		} else {
			clerks = append(clerks, s)
		}
	}
	stands, err := h.st.StandsByStore(ctx, st.ID)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	shifts, err := h.st.Shifts(ctx, st.ID, 10)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	names := map[string]string{}
	for _, s := range staff {
		names[s.ID] = s.Name
	}
	duty, err := h.st.OnDuty(ctx, st.ID)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	var onDuty []string
	for _, sh := range duty {
		onDuty = append(onDuty, names[sh.StaffID])
	}
	plates, err := h.st.PlatesByStore(ctx, st.ID)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	type plateRow struct {
		model.Plate
		URL string
	}
	var plateRows []plateRow
	var bound string
	for _, p := range plates {
		plateRows = append(plateRows, plateRow{p, h.urls.Plate(p.Token)})
		if p.Token == r.URL.Query().Get("bound") {
			bound = h.urls.Plate(p.Token)
		}
	}
	_, isAdmin := roles.AdminOf(st.MerchantID)
	v := view{"Store": st, "StoreURL": h.urls.Store(st.CodeToken), "Managers": managers, "Clerks": clerks,
		"Stands": stands, "Shifts": shifts, "Names": names, "IsAdmin": isAdmin, "OnDuty": onDuty, "Plates": plateRows, "Bound": bound}
	if me, ok := roles.ManagerOf(st.ID); ok {
		v["MeManager"] = me
	}
	if m, err := h.st.Merchant(ctx, st.MerchantID); err == nil {
		v["Merchant"] = m
	}
	h.render(w, r, http.StatusOK, "store", v)
}
