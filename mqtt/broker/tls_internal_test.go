package broker

import (
	"crypto/x509"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/qrstand/qrstand/mqtt/broker/testcert"
)

func leafCN(t *testing.T, r *certReloader) string {
	t.Helper()
	c, err := r.GetCertificate(nil)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(c.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	return leaf.Subject.CommonName
}

// TestCertReload: a renewed certificate is served from the next handshake
// after the files change (checked at most once a second); a broken
// renewal keeps the certificate that works.
func TestCertReload(t *testing.T) {
	ca := testcert.NewCA(t, "test CA")
	dir := t.TempDir()
	certFile, keyFile := ca.ServerFiles(t, dir, "first")
	r, err := newCertReloader(certFile, keyFile, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	r.now = func() time.Time { return now }
	if cn := leafCN(t, r); cn != "first" {
		t.Fatalf("CN %q", cn)
	}

	ca.ServerFiles(t, dir, "second")
	if cn := leafCN(t, r); cn != "first" {
		t.Fatalf("reloaded within the same second: %q", cn)
	}
	now = now.Add(time.Second)
	if cn := leafCN(t, r); cn != "second" {
		t.Fatalf("after the renewal: CN %q, want second", cn)
	}

	if err := os.WriteFile(certFile, []byte("-----BEGIN CERTIFICATE-----\ntruncated"), 0o600); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Second)
	if cn := leafCN(t, r); cn != "second" {
		t.Fatalf("after a broken renewal: CN %q, want the previous second", cn)
	}
	os.Remove(keyFile)
	now = now.Add(time.Second)
	if cn := leafCN(t, r); cn != "second" {
		t.Fatalf("after the key vanished: CN %q", cn)
	}

	if _, err := newCertReloader(certFile, keyFile, slog.New(slog.DiscardHandler)); err == nil {
		t.Fatal("a missing key file loaded at start")
	}
}
