package ui

import (
	"context"
	"errors"
	"net/http"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/storage"
)

// activationMessage turns an activation failure into a clear sentence and
// status; the error text itself goes to the log only.
func activationMessage(err error) (int, string, bool) {
	switch {
	case errors.Is(err, storage.ErrCodeUnknown):
		return http.StatusNotFound, "这个激活码无效。请向给你二维码的人要一个新的。", true
	case errors.Is(err, storage.ErrCodeUsed):
		return http.StatusConflict, "这个激活码已经被使用过了，每个激活码只能用一次。", true
	case errors.Is(err, storage.ErrCodeExpired):
		return http.StatusGone, "这个激活码已过期。请向给你二维码的人要一个新的。", true
	case errors.Is(err, storage.ErrCodeWrongRole):
		return http.StatusBadRequest, "这个激活码不是用来激活这个身份的。", true
	case errors.Is(err, storage.ErrCodeWrongScope):
		return http.StatusBadRequest, "这个激活码不属于这个商户或门店。", true
	case errors.Is(err, storage.ErrRoleHeld):
		return http.StatusConflict, "你已经拥有这个身份，无需再次激活。", true
	}
	return 0, "", false
}

// activationScope names the merchant (and store) a code grants a role in.
func (h *Handler) activationScope(ctx context.Context, s model.Staff) (model.Merchant, model.Store, error) {
	m, err := h.st.Merchant(ctx, s.MerchantID)
	if err != nil {
		return m, model.Store{}, err
	}
	var st model.Store
	if s.StoreID != "" {
		st, err = h.st.Store(ctx, s.StoreID)
	}
	return m, st, err
}

// activationShow: the page an activation QR opens. It checks the code
// without using it and asks the scanner to confirm.
func (h *Handler) activationShow(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := h.requireWeChat(w, r); !ok {
		return
	}
	role := model.Role(r.PathValue("role"))
	s, err := h.st.CheckActivation(r.Context(), r.PathValue("token"), role, r.PathValue("scope"), h.now())
	if err != nil {
		if status, msg, ok := activationMessage(err); ok {
			h.fail(w, r, status, msg)
			return
		}
		h.internal(w, r, err)
		return
	}
	m, st, err := h.activationScope(r.Context(), s)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "activate", view{"Staff": s, "Merchant": m, "Store": st, "Role": string(role)})
}
