package ui

import (
	"errors"
	"net/http"
	"strings"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/storage"
)

// providerCreate: the operator adds a provider and its first console login.
func (h *Handler) providerCreate(w http.ResponseWriter, r *http.Request) {
	u, ok := h.requireConsole(w, r)
	if !ok {
		return
	}
	if u.Role != model.ConsoleOperator {
		h.notFound(w, r)
		return
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	username := strings.TrimSpace(r.PostFormValue("username"))
	pw := r.PostFormValue("password")
	if name == "" || username == "" || len(name) > 100 || len(username) > 64 {
		h.badInput(w, r, "请填写服务商名称和登录名")
		return
	}
	hash, err := HashPassword(pw)
	if err != nil {
		h.badInput(w, r, "密码长度须为 8 到 72 个字符")
		return
	}
	ctx := r.Context()
	if _, err := h.st.ConsoleUserByUsername(ctx, username); err == nil {
		h.fail(w, r, http.StatusConflict, "登录名已被使用")
		return
	}
	p, err := h.st.CreateProvider(ctx, name, strings.TrimSpace(r.PostFormValue("sp_mchid")), strings.TrimSpace(r.PostFormValue("sp_appid")), model.ProviderSecrets{}, h.now())
	if err != nil {
		h.internal(w, r, err)
		return
	}
	if _, err := h.st.CreateConsoleUser(ctx, username, hash, model.ConsoleProvider, p.ID, h.now()); err != nil {
		if errors.Is(err, storage.ErrConflict) {
			h.fail(w, r, http.StatusConflict, "登录名已被使用")
			return
		}
		h.internal(w, r, err)
		return
	}
	h.log.Info("ui: provider created", "provider", p.ID, "by", u.ID)
	http.Redirect(w, r, "/console", http.StatusSeeOther)
}
