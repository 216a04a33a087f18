package ui

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/qrstand/qrstand/cloud/internal/qr"
)

var safeFilename = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// ownURL reports whether u points at this service, so the QR endpoints do
// not become a general-purpose QR generator.
func (h *Handler) ownURL(u string) bool {
	return strings.HasPrefix(u, h.cfg.BaseURL+"/") && len(u) <= 512
}

// qrPNG renders a QR code PNG for one of this service's URLs.
func (h *Handler) qrPNG(w http.ResponseWriter, r *http.Request) {
	u := r.URL.Query().Get("u")
	if !h.ownURL(u) {
		h.notFound(w, r)
		return
	}
	size := 320
	if s := r.URL.Query().Get("size"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 64 || n > 2048 {
			h.badInput(w, r, "图片尺寸无效")
			return
		}
		size = n
	}
	png, err := qr.PNG(u, size)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "private, max-age=300")
	if dl := r.URL.Query().Get("download"); dl != "" {
		name := safeFilename.ReplaceAllString(dl, "_")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.png"`)
	}
	w.Write(png)
}

// cardShow is a printable stand card: the QR, a title and a line of text.
func (h *Handler) cardShow(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	u := q.Get("u")
	if !h.ownURL(u) {
		h.notFound(w, r)
		return
	}
	title, sub := q.Get("title"), q.Get("sub")
	if len(title) > 100 || len(sub) > 200 {
		h.badInput(w, r, "文字过长")
		return
	}
	h.render(w, r, http.StatusOK, "card", view{"URL": u, "Title": title, "Sub": sub, "Caption": h.cardCaption(u)})
}

// cardCaption says what scanning the card does, from the kind of code: a
// management code is not for paying, and a card must not tell customers
// to pay with it.
func (h *Handler) cardCaption(u string) string {
	switch {
	case strings.HasPrefix(u, h.cfg.BaseURL+"/m/"):
		return "商户管理码 · 仅限商户管理员扫码"
	case strings.HasPrefix(u, h.cfg.BaseURL+"/activate/"):
		return "身份激活码 · 微信扫码激活"
	default:
		return "微信扫码付款"
	}
}
