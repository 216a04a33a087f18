package standclient

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
)

// TLSConfig returns the TLS configuration a stand dials its broker with:
// TLS 1.2 or newer, and the broker's certificate verified — host name
// included — against caPEM (one or more PEM certificates: a pinned CA, as a
// provisioning file carries for a private CA) or, when caPEM is empty, the
// system roots.
func TLSConfig(caPEM []byte) (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if len(bytes.TrimSpace(caPEM)) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(caPEM) {
			return nil, errors.New("standclient: the broker CA holds no PEM certificate")
		}
		c.RootCAs = pool
	}
	return c, nil
}

// BrokerUsesTLS reports whether the broker URL names a TLS broker
// (mqtts://, ssl://, tls://) rather than plain TCP (tcp://, mqtt://), and
// rejects any other form.
func BrokerUsesTLS(broker string) (bool, error) {
	u, err := url.Parse(broker)
	if err != nil {
		return false, fmt.Errorf("standclient: broker URL: %w", err)
	}
	if u.Host == "" || u.Port() == "" {
		return false, fmt.Errorf("standclient: broker URL %q needs host:port (e.g. mqtts://mqtt.example.com:8883)", broker)
	}
	switch u.Scheme {
	case "tcp", "mqtt":
		return false, nil
	case "mqtts", "ssl", "tls":
		return true, nil
	}
	return false, fmt.Errorf("standclient: broker URL %q: scheme must be mqtts, ssl, tls (TLS) or tcp, mqtt (plain)", broker)
}

// tlsFor returns the TLS configuration for cfg's broker, nil for plain TCP.
func tlsFor(cfg *Config) (*tls.Config, error) {
	useTLS, err := BrokerUsesTLS(cfg.Broker)
	switch {
	case err != nil:
		return nil, err
	case !useTLS && (cfg.TLS != nil || len(cfg.CA) > 0):
		return nil, fmt.Errorf("standclient: a broker CA or TLS configuration needs a TLS broker URL (mqtts://), not %q", cfg.Broker)
	case !useTLS:
		return nil, nil
	case cfg.TLS != nil && cfg.TLS.InsecureSkipVerify:
		return nil, errors.New("standclient: InsecureSkipVerify would let anyone on the path pose as the broker")
	case cfg.TLS != nil:
		return cfg.TLS, nil
	}
	return TLSConfig(cfg.CA)
}
