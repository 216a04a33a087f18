package standclient_test

import (
	"context"
	"log/slog"
	"net"
	neturl "net/url"
	"strings"
	"testing"
	"time"

	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/broker"
	"github.com/qrstand/qrstand/mqtt/broker/testcert"
	"github.com/qrstand/qrstand/mqtt/standclient"
)

// tlsBroker runs the embedded broker with only a TLS listener, its
// certificate signed by ca, and returns the mqtts:// URL.
func tlsBroker(t *testing.T, ca *testcert.CA, stands map[string]string) string {
	t.Helper()
	certFile, keyFile := ca.ServerFiles(t, t.TempDir(), "broker")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b, err := broker.New(broker.Config{
		TLSListener: ln, TLSCertFile: certFile, TLSKeyFile: keyFile,
		Stands: broker.StandLookupFunc(func(_ context.Context, id string) (string, error) {
			if h, ok := stands[id]; ok {
				return h, nil
			}
			return "", broker.ErrUnknownStand
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-b.Ready():
	case err := <-done:
		t.Fatalf("broker: %v", err)
	}
	return "mqtts://" + b.TLSAddr().String()
}

// logTap passes each log line's message and error to a channel.
type logTap chan string

func (l logTap) Enabled(context.Context, slog.Level) bool { return true }
func (l logTap) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l logTap) WithGroup(string) slog.Handler            { return l }
func (l logTap) Handle(_ context.Context, r slog.Record) error {
	line := r.Message
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "err" {
			line += ": " + a.Value.String()
		}
		return true
	})
	select {
	case l <- line:
	default:
	}
	return nil
}

// TestStandOverTLS: a stand that pins the broker's CA connects to the
// embedded broker's TLS listener and its messages flow; a stand that does
// not trust the broker's certificate (another pinned CA, or the system
// roots) refuses it and never sends its secret.
func TestStandOverTLS(t *testing.T) {
	ca := testcert.NewCA(t, "QR Stand test CA")
	secret := mqtt.NewSecret()
	url := tlsBroker(t, ca, map[string]string{"stand-0001": mqtt.HashSecret(secret)})

	c, _ := runStand(t, standclient.Config{Broker: url, DeviceID: "stand-0001", Secret: secret, CA: ca.PEM}, nil)
	if !c.Connected() {
		t.Fatal("not connected over TLS")
	}
	if _, err := c.Publish(context.Background(), &mqtt.Status{Firmware: "test", Paper: mqtt.PaperOK}); err != nil {
		t.Fatalf("publish over TLS: %v", err)
	}

	other := testcert.NewCA(t, "someone else's CA")
	for name, caPEM := range map[string][]byte{"another pinned CA": other.PEM, "system roots": nil} {
		t.Run(name, func(t *testing.T) {
			tap := make(logTap, 100)
			sc, err := standclient.New(standclient.Config{Broker: url, DeviceID: "stand-0001", Secret: secret, CA: caPEM,
				MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, Logger: slog.New(tap)})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- sc.Run(ctx) }()
			defer func() { cancel(); <-done }()
			for {
				select {
				case line := <-tap:
					if strings.Contains(line, "mqtt connect failed") {
						if !strings.Contains(line, "certificate") {
							t.Fatalf("refused for another reason: %s", line)
						}
						t.Log(line)
						if sc.Connected() {
							t.Fatal("connected to an untrusted broker")
						}
						return
					}
				case <-time.After(wait):
					t.Fatal("no refused connect logged")
				}
			}
		})
	}
}

func TestBrokerURLAndTLSConfig(t *testing.T) {
	base := standclient.Config{DeviceID: "stand-0001", Secret: "s"}
	for url, ok := range map[string]bool{
		"mqtts://mqtt.example.com:8883": true,
		"ssl://mqtt.example.com:8883":   true,
		"tls://mqtt.example.com:8883":   true,
		"tcp://127.0.0.1:1883":          true,
		"mqtts://mqtt.example.com":      false, // no port
		"ws://mqtt.example.com:80":      false,
		"mqtt.example.com:8883":         false,
	} {
		cfg := base
		cfg.Broker = url
		if _, err := standclient.New(cfg); (err == nil) != ok {
			t.Errorf("New(%q): %v", url, err)
		}
	}
	cfg := base
	cfg.Broker, cfg.CA = "tcp://127.0.0.1:1883", []byte("-----BEGIN CERTIFICATE-----")
	if _, err := standclient.New(cfg); err == nil {
		t.Error("a pinned CA with a plain broker URL accepted")
	}
	cfg.Broker, cfg.CA = "mqtts://mqtt.example.com:8883", []byte("not PEM")
	if _, err := standclient.New(cfg); err == nil {
		t.Error("a CA without a certificate accepted")
	}
	tc, _ := standclient.TLSConfig(nil)
	tc.InsecureSkipVerify = true
	cfg.CA, cfg.TLS = nil, tc
	if _, err := standclient.New(cfg); err == nil {
		t.Error("InsecureSkipVerify accepted")
	}
}

// FuzzBrokerURLAndCA: broker URLs and CA files come from provisioning
// files and config; neither parser panics, and what is accepted is usable.
func FuzzBrokerURLAndCA(f *testing.F) {
	f.Add("mqtts://mqtt.example.com:8883", []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	f.Add("tcp://127.0.0.1:1884", []byte(nil))
	f.Add("ssl://[::1]:8883", []byte("x"))
	f.Fuzz(func(t *testing.T, broker string, ca []byte) {
		if _, err := standclient.BrokerUsesTLS(broker); err == nil {
			u, perr := neturl.Parse(broker)
			if perr != nil || u.Port() == "" || u.Host == "" {
				t.Fatalf("accepted %q without host:port", broker)
			}
		}
		if tc, err := standclient.TLSConfig(ca); err == nil && tc.InsecureSkipVerify {
			t.Fatal("a config that skips verification")
		}
	})
}
