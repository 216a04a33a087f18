package ui

import (
	"net/http"
)

// fail renders the error page with a fixed, translated message. msg is
// always one of our own zh-CN sentences, never an error's text.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	h.render(w, r, status, "error", view{"Message": msg, "Status": status})
}

// notFound is the one answer for "missing" and "not yours".
func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.fail(w, r, http.StatusNotFound, "页面不存在或你没有权限")
}

// internal logs err and shows a generic page.
func (h *Handler) internal(w http.ResponseWriter, r *http.Request, err error) {
	h.log.Error("ui: request failed", "method", r.Method, "route", h.Route(r), "err", err)
	h.fail(w, r, http.StatusInternalServerError, "服务器出错了，请稍后再试")
}

// badInput rejects a form with a clear message and changes nothing.
func (h *Handler) badInput(w http.ResponseWriter, r *http.Request, msg string) {
	h.fail(w, r, http.StatusBadRequest, msg)
}
