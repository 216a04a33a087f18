package broker

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// certReloader serves the TLS listener's certificate and re-reads the files
// when they change, so renewing a certificate needs no restart. It checks
// the files' modification time and size at most once per second (a
// handshake storm does not become a stat storm); a renewal that does not
// load (a half-written file, a key that does not match) keeps the previous
// certificate and is logged, and is tried again on a later handshake.
type certReloader struct {
	certFile, keyFile string
	log               *slog.Logger
	now               func() time.Time

	mu      sync.Mutex
	cert    *tls.Certificate
	stamp   [2]fileStamp // of certFile and keyFile when cert was loaded
	checked time.Time
}

type fileStamp struct {
	mod  time.Time
	size int64
}

func newCertReloader(certFile, keyFile string, log *slog.Logger) (*certReloader, error) {
	r := &certReloader{certFile: certFile, keyFile: keyFile, log: log, now: time.Now}
	stamp, err := r.stat()
	if err != nil {
		return nil, err
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("broker: TLS certificate: %w", err)
	}
	r.cert, r.stamp, r.checked = &cert, stamp, r.now()
	return r, nil
}

func (r *certReloader) stat() ([2]fileStamp, error) {
	var out [2]fileStamp
	for i, f := range []string{r.certFile, r.keyFile} {
		fi, err := os.Stat(f)
		if err != nil {
			return out, fmt.Errorf("broker: TLS certificate: %w", err)
		}
		out[i] = fileStamp{fi.ModTime(), fi.Size()}
	}
	return out, nil
}

// GetCertificate is tls.Config.GetCertificate.
func (r *certReloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if now := r.now(); now.Sub(r.checked) >= time.Second {
		r.checked = now
		r.reload()
	}
	return r.cert, nil
}

// reload loads the files if they changed since the current certificate;
// r.mu is held.
func (r *certReloader) reload() {
	stamp, err := r.stat()
	if err != nil {
		r.log.Warn("mqtt TLS certificate files unreadable; keeping the loaded certificate", "err", err)
		return
	}
	if stamp == r.stamp {
		return
	}
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		r.log.Warn("mqtt TLS certificate changed but does not load; keeping the previous one", "err", err)
		return
	}
	r.cert, r.stamp = &cert, stamp
	r.log.Info("mqtt TLS certificate reloaded", "cert", r.certFile)
}

// tlsConfig is the listener's TLS configuration: TLS 1.2 or newer, the
// certificate from r.
func (r *certReloader) tlsConfig() *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: r.GetCertificate,
	}
}
