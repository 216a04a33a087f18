// Package simweb is the small local page of the stand simulator (-sim DIR):
// the stand's face as it is now (refreshing itself), the latest receipts as
// the printer would print them, and the latest announcements with their
// text and sound. It only reads the files the simulated parts write into
// DIR, so it shows exactly what a test or a clerk would find there.
package simweb

import (
	"context"
	"embed"
	"html/template"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

//go:embed page.html
var files embed.FS

var page = template.Must(template.ParseFS(files, "page.html"))

// Options add the live parts of the page; both are optional.
type Options struct {
	// QR returns what the QR on the screen holds, so a tester without a
	// phone can "scan" it with a click (the store code, or the pairing
	// link while unpaired). Empty means no link.
	QR func(ctx context.Context) string
	// Buttons are the stand's hardware buttons by name, in page order;
	// the page shows one form button each.
	Buttons []Button
}

// Button is one simulated hardware button.
type Button struct {
	Name, Label string
	Press       func(ctx context.Context) error
}

// Handler serves the page for the simulator folder dir, whose frames/,
// receipts/ and announce/ subfolders the simulated panel, printer and
// speaker write.
func Handler(dir, title string, log *slog.Logger, opts Options) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		data := struct {
			Title         string
			QR            string
			Buttons       []Button
			Receipts      []string
			Announcements []announcement
		}{Title: title, Buttons: opts.Buttons, Receipts: latest(filepath.Join(dir, "receipts"), ".png", 6)}
		if opts.QR != nil {
			data.QR = opts.QR(r.Context())
		}
		for _, f := range latest(filepath.Join(dir, "announce"), ".txt", 10) {
			b, err := os.ReadFile(filepath.Join(dir, "announce", f))
			if err != nil {
				continue
			}
			data.Announcements = append(data.Announcements, announcement{Text: strings.TrimSpace(string(b)), WAV: strings.TrimSuffix(f, ".txt") + ".wav"})
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if err := page.Execute(w, data); err != nil {
			log.Warn("simweb: page", "err", err)
		}
	})
	for _, b := range opts.Buttons {
		mux.HandleFunc("POST /button/"+b.Name, func(w http.ResponseWriter, r *http.Request) {
			if err := b.Press(r.Context()); err != nil {
				log.Warn("simweb: button", "button", b.Name, "err", err)
			}
			http.Redirect(w, r, "/", http.StatusSeeOther)
		})
	}
	for _, sub := range []string{"frames", "receipts", "announce"} {
		fs := http.StripPrefix("/"+sub+"/", http.FileServer(http.Dir(filepath.Join(dir, sub))))
		mux.Handle("GET /"+sub+"/", noStore(fs))
	}
	return mux
}

type announcement struct{ Text, WAV string }

func noStore(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

// latest returns the n newest file names in dir ending in ext (names sort
// by their sequence number), newest first.
func latest(dir, ext string, n int) []string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range ents {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ext) && !strings.HasSuffix(e.Name(), ".tmp") {
			names = append(names, e.Name())
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(names)))
	if len(names) > n {
		names = names[:n]
	}
	return names
}
