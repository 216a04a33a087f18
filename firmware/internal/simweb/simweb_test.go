package simweb

import (
	"io"
	"net/http"
	"net/http/httptest"
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
	srv := httptest.NewServer(Handler(dir, "stand-1", nil))
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
	for _, want := range []string{"微信收款十二点五元", "/announce/announce-000001.wav", "/receipts/receipt-000002.png", "/frames/preview.png", `http-equiv="refresh"`} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if i, j := strings.Index(html, "receipt-000002"), strings.Index(html, "receipt-000001"); i > j {
		t.Error("receipts not newest first")
	}
	if got := get("/receipts/receipt-000001.png"); got != "R1" {
		t.Errorf("receipt file = %q", got)
	}
}
