package ui

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/locale"
	"github.com/qrstand/qrstand/cloud/internal/storage"
	"github.com/qrstand/qrstand/mqtt/biz"
)

//go:embed templates/*.html
var templateFS embed.FS

// engine holds every view, parsed once at start-up.
type engine struct {
	views map[string]*template.Template
}

var funcs = template.FuncMap{
	"keys":  func() []string { return keypadKeys },
	"keyid": keypadID,
	"yuan":  biz.FormatFen,
	"qrsrc": func(u string) string { return "/qr.png?size=320&u=" + template.URLQueryEscaper(u) },
	"qrdl": func(u, name string) string {
		return "/qr.png?size=1024&download=" + template.URLQueryEscaper(name) + "&u=" + template.URLQueryEscaper(u)
	},
	"card": func(u, title, sub string) string {
		return "/card?u=" + template.URLQueryEscaper(u) + "&title=" + template.URLQueryEscaper(title) + "&sub=" + template.URLQueryEscaper(sub)
	},
	"qrargs": func(l locale.Lang, u, name, title, sub string) map[string]any {
		return map[string]any{"L": l, "U": u, "Name": name, "Title": title, "Sub": sub}
	},
	"staffargs": func(parent view, row staffRow) map[string]any {
		return map[string]any{"P": parent, "Row": row}
	},
	"whens": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(biz.Zone).Format("2006-01-02 15:04:05")
	},
	"presenceargs": func(l locale.Lang, s storage.FleetStand) map[string]any { return map[string]any{"L": l, "S": s} },
	"standargs": func(parent view, row fleetRow, alerts []string) map[string]any {
		return map[string]any{"L": parent["L"], "CSRF": parent["CSRF"], "Stand": row, "Alerts": alerts}
	},
	"eventargs": func(parent view, evs []eventRow) map[string]any {
		return map[string]any{"L": parent["L"], "Events": evs}
	},
	"ferrargs": func(parent view, field string) map[string]any {
		errs, _ := parent["Errors"].(map[string]string)
		return map[string]any{"L": parent["L"], "Errs": errs, "Field": field}
	},
	"slipargs": func(parent view, sl storage.ShiftSlip) map[string]any {
		return map[string]any{"P": parent, "S": sl}
	},
	"when": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(biz.Zone).Format("2006-01-02 15:04")
	},
}

func newEngine() (*engine, error) {
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("ui: parse layout: %w", err)
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("ui: %w", err)
	}
	e := &engine{views: map[string]*template.Template{}}
	for _, n := range names {
		base := path.Base(n)
		if base == "layout.html" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(templateFS, n)
		if err != nil {
			return nil, fmt.Errorf("ui: parse %s: %w", base, err)
		}
		e.views[strings.TrimSuffix(base, ".html")] = t
	}
	return e, nil
}

// view is the data of one page; handlers fill it like a map.
type view map[string]any

func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, v view) {
	t, ok := h.views.views[name]
	if !ok {
		// Views are fixed at build time; a missing one is a programming error.
		panic("ui: undeclared view " + name)
	}
	if v == nil {
		v = view{}
	}
	lang := locale.FromRequest(r)
	v["L"] = lang
	v["CSRF"] = csrfToken(r)
	v["Path"] = r.URL.Path
	v["Sandbox"] = h.cfg.Sandbox
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		h.log.Error("ui: render", "view", name, "err", err)
		http.Error(w, lang.T("服务器出错了，请稍后再试"), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Referrer-Policy", "same-origin")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
