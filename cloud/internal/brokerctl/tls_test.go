package brokerctl_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// The documented config's TLS listener serves stands: a registered stand
// connects over TLS (certificate verified), a wrong secret is refused there
// too.
func TestMosquittoTLSListener(t *testing.T) {
	f := setup(t)
	if err := f.ctl.Register(context.Background(), "stand-tlss", "secret-tls"); err != nil {
		t.Fatal(err)
	}
	pem, err := os.ReadFile(filepath.Join(f.b.Dir, "server.crt"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	connect := func(secret string) error {
		opts := paho.NewClientOptions().AddBroker(f.b.TLSURL).SetClientID("stand-tlss").SetUsername("stand-tlss").SetPassword(secret).
			SetTLSConfig(&tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}).SetAutoReconnect(false)
		c := paho.NewClient(opts)
		tok := c.Connect()
		if !tok.WaitTimeout(10 * time.Second) {
			return context.DeadlineExceeded
		}
		if tok.Error() == nil {
			c.Disconnect(0)
		}
		return tok.Error()
	}
	if err := connect("secret-tls"); err != nil {
		t.Fatalf("TLS connect: %v", err)
	}
	if err := connect("wrong"); err == nil {
		t.Error("TLS connect with a wrong secret succeeded")
	}
}
