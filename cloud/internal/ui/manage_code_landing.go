package ui

import "net/http"

// manageCodeLanding: the merchant management code. It is stable and grants
// nothing by itself: only the merchant's admins get through.
func (h *Handler) manageCodeLanding(w http.ResponseWriter, r *http.Request) {
	_, roles, ok := h.requireWeChat(w, r)
	if !ok {
		return
	}
	m, err := h.st.MerchantByManageToken(r.Context(), r.PathValue("token"))
	if err != nil {
		h.notFound(w, r)
		return
	}
	if _, ok := roles.AdminOf(m.ID); !ok {
		h.fail(w, r, http.StatusForbidden, "请先扫描管理员激活码激活管理员身份，再扫描管理码。")
		return
	}
	http.Redirect(w, r, "/merchant/"+m.ID, http.StatusSeeOther)
}
