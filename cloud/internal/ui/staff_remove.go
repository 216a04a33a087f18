package ui

import (
	"errors"
	"net/http"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/storage"
)

// staffRemove: admins remove admins, managers and clerks of their merchant;
// managers remove their store's clerks. The last refund-capable admin stays.
func (h *Handler) staffRemove(w http.ResponseWriter, r *http.Request) {
	s, roles, ok := h.staffFor(w, r)
	if !ok {
		return
	}
	if !roles.CanRemove(s) {
		h.fail(w, r, http.StatusForbidden, "不能删除自己")
		return
	}
	if err := h.st.RemoveStaff(r.Context(), s.ID, h.now()); err != nil {
		if errors.Is(err, storage.ErrLastRefundAdmin) {
			h.fail(w, r, http.StatusConflict, "不能删除最后一位有退款权限的管理员。请先给另一位管理员退款权限。")
			return
		}
		h.internal(w, r, err)
		return
	}
	h.log.Info("ui: staff removed", "staff", s.ID, "role", s.Role)
	if s.Role == model.RoleAdmin {
		http.Redirect(w, r, "/merchant/"+s.MerchantID, http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/store/"+s.StoreID, http.StatusSeeOther)
}

// staffRefundSet: admins grant or revoke refund permission, to managers
// and admins only (storage refuses a clerk, whatever the form says).
func (h *Handler) staffRefundSet(w http.ResponseWriter, r *http.Request) {
	s, roles, ok := h.staffFor(w, r)
	if !ok {
		return
	}
	// A clerk never holds refund rights: a forged grant looks like any other
	// refusal (storage refuses it too).
	if _, ok := roles.AdminOf(s.MerchantID); !ok || s.Role == model.RoleClerk {
		h.notFound(w, r)
		return
	}
	if err := h.st.SetRefund(r.Context(), s.ID, r.PostFormValue("can_refund") == "1"); err != nil {
		if errors.Is(err, storage.ErrLastRefundAdmin) {
			h.fail(w, r, http.StatusConflict, "不能取消最后一位管理员的退款权限。")
			return
		}
		if errors.Is(err, storage.ErrRefundRole) {
			h.badInput(w, r, "只有店长和管理员可以拥有退款权限，店员不能退款。")
			return
		}
		h.internal(w, r, err)
		return
	}
	if s.Role == model.RoleAdmin {
		http.Redirect(w, r, "/merchant/"+s.MerchantID, http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/store/"+s.StoreID, http.StatusSeeOther)
}
