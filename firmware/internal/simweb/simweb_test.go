package simweb

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPage(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"frames/preview.png":           "PNG",
		"receipts/receipt-000001.png":  "R1",
		"receipts/receipt-000002.png":  "R2",
		"announce/announce-000001.txt": "微信收款十二点五元\n",
		"announce/announce-000001.wav": "RIFF",
	} {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pressed := 0
	srv := httptest.NewServer(Handler(dir, "stand-1", nil, Options{
		QR:      func(context.Context) string { return "http://127.0.0.1:8080/s/Q7kP2x" },
		Buttons: []Button{{Name: "repeat", Label: "重播", Press: func(context.Context) error { pressed++; return nil }}},
	}))
	defer srv.Close()
	get := func(path string) string {
		t.Helper()
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 {
			t.Fatalf("GET %s: %s", path, res.Status)
		}
		return string(b)
	}
	html := get("/")
	for _, want := range []string{"微信收款十二点五元", `href="http://127.0.0.1:8080/s/Q7kP2x"`, `action="/button/repeat"`, "/announce/announce-000001.wav", "/receipts/receipt-000002.png", "/frames/preview.png", `http-equiv="refresh"`} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if i, j := strings.Index(html, "receipt-000002"), strings.Index(html, "receipt-000001"); i > j {
		t.Error("receipts not newest first")
	}
	res, err := http.Post(srv.URL+"/button/repeat", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || pressed != 1 { // 303 → the page
		t.Errorf("button press: status %s, pressed %d times", res.Status, pressed)
	}
	if got := get("/receipts/receipt-000001.png"); got != "R1" {
		t.Errorf("receipt file = %q", got)
	}
}

// TestKnobs: the paper and battery knobs pass checked values through and
// refuse anything else.
func TestKnobs(t *testing.T) {
	paper, pct, charging := "ok", 100, false
	srv := httptest.NewServer(Handler(t.TempDir(), "stand-1", nil, Options{Knobs: &Knobs{
		Paper:      func() string { return paper },
		SetPaper:   func(_ context.Context, s string) error { paper = s; return nil },
		Battery:    func() (int, bool, bool) { return pct, charging, true },
		SetBattery: func(_ context.Context, p int, c bool) error { pct, charging = p, c; return nil },
	}}))
	defer srv.Close()
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(path string, form url.Values) int {
		t.Helper()
		res, err := noRedirect.PostForm(srv.URL+path, form)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if c := post("/knob/paper", url.Values{"paper": {"out"}}); c != http.StatusSeeOther || paper != "out" {
		t.Errorf("paper out: %d, paper %q", c, paper)
	}
	if c := post("/knob/paper", url.Values{"paper": {"jammed"}}); c != http.StatusBadRequest || paper != "out" {
		t.Errorf("bad paper: %d, paper %q", c, paper)
	}
	if c := post("/knob/battery", url.Values{"pct": {"12"}, "charging": {"on"}}); c != http.StatusSeeOther || pct != 12 || !charging {
		t.Errorf("battery 12%% charging: %d, %d %v", c, pct, charging)
	}
	for _, bad := range []string{"101", "-1", "1.5", "", "12abc"} {
		if c := post("/knob/battery", url.Values{"pct": {bad}}); c != http.StatusBadRequest || pct != 12 {
			t.Errorf("battery %q: %d, pct %d", bad, c, pct)
		}
	}
	res, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{`<option value="out" selected>`, `id="battery-pct" min="0" max="100" value="12"`, `id="battery-charging" checked`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("page lacks %q", want)
		}
	}
}
