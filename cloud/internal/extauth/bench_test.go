package extauth_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/qrstand/qrstand/mqtt"
)

// BenchmarkAuthenticate: one EMQX CONNECT check through the handler (body
// decode, SHA-256 secret check, JSON answer) with an in-memory stand
// lookup — the CPU a cloud node spends per stand (re)connect, before the
// database. Reports checks/s.
func BenchmarkAuthenticate(b *testing.B) {
	h := newHandler(b, stands{"stand-aaaa": mqtt.HashSecret("secret-a")}.lookup)
	body := `{"clientid":"stand-aaaa","username":"stand-aaaa","password":"secret-a","peerhost":"10.0.0.7"}`
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		h.Authenticate(w, r)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"allow"`) {
			b.Fatal(w.Code, w.Body.String())
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "checks/s")
}
