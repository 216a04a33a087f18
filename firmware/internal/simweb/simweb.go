// Package simweb is the small local page of the stand simulator (-sim DIR):
// the stand's face as it is now (refreshing itself), the latest receipts as
// the printer would print them, and the latest announcements with their
// text and sound. It only reads the files the simulated parts write into
// DIR, so it shows exactly what a test or a clerk would find there. Knobs
// run the simulated printer out of paper and set the simulated battery, so
// the cloud's stand alerts can be seen without hardware.
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
	"strconv"
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
	// Knobs change the simulated world (paper, battery); nil hides them.
	Knobs *Knobs
}

// Knobs let a tester run the simulated printer out of paper and drain or
// charge the simulated battery, so the cloud's alerts can be seen without
// hardware.
type Knobs struct {
	// Paper returns the printer's paper state (mqtt.Paper*).
	Paper func() string
	// SetPaper sets it to "ok", "near_end" or "out".
	SetPaper func(ctx context.Context, state string) error
	// Battery returns the charge shown and whether the pack is charging;
	// ok is false without a simulated battery.
	Battery func() (pct int, charging, ok bool)
	// SetBattery sets the pack to pct (0..100), charging or not; nil hides
	// the battery knob.
	SetBattery func(ctx context.Context, pct int, charging bool) error
}

// paperStates are the paper knob's choices, in page order.
var paperStates = []struct{ Value, Label string }{
	{"ok", "正常 OK"}, {"near_end", "纸将尽 Near end"}, {"out", "缺纸 Out"},
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
			Knobs         *knobView
		}{Title: title, Buttons: opts.Buttons, Receipts: latest(filepath.Join(dir, "receipts"), ".png", 6)}
		if k := opts.Knobs; k != nil {
			kv := &knobView{PaperStates: paperStates, Paper: k.Paper(), HasBattery: k.SetBattery != nil}
			if k.Battery != nil {
				kv.BatteryPct, kv.Charging, kv.HasBattery = k.Battery()
				kv.HasBattery = kv.HasBattery && k.SetBattery != nil
			}
			data.Knobs = kv
		}
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
	if opts.Knobs != nil {
		knobRoutes(mux, opts.Knobs, log)
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

type knobView struct {
	PaperStates []struct{ Value, Label string }
	Paper       string
	HasBattery  bool
	BatteryPct  int
	Charging    bool
}

// knobRoutes serves the knob forms. Input is checked strictly: a paper
// state from the list, a whole percent 0..100.
func knobRoutes(mux *http.ServeMux, k *Knobs, log *slog.Logger) {
	mux.HandleFunc("POST /knob/paper", func(w http.ResponseWriter, r *http.Request) {
		state := r.PostFormValue("paper")
		valid := false
		for _, p := range paperStates {
			valid = valid || p.Value == state
		}
		if !valid {
			http.Error(w, "paper must be ok, near_end or out", http.StatusBadRequest)
			return
		}
		if err := k.SetPaper(r.Context(), state); err != nil {
			log.Warn("simweb: paper knob", "err", err)
			http.Error(w, "could not set paper", http.StatusInternalServerError)
			return
		}
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	if k.SetBattery == nil {
		return
	}
	mux.HandleFunc("POST /knob/battery", func(w http.ResponseWriter, r *http.Request) {
		pct, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("pct")))
		if err != nil || pct < 0 || pct > 100 {
			http.Error(w, "pct must be a whole number 0..100", http.StatusBadRequest)
			return
		}
		if err := k.SetBattery(r.Context(), pct, r.PostFormValue("charging") != ""); err != nil {
			log.Warn("simweb: battery knob", "err", err)
			http.Error(w, "could not set battery", http.StatusInternalServerError)
			return
		}
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
}
