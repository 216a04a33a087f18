package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/broker/testcert"
	"github.com/qrstand/qrstand/mqtt/standclient"
)

// TestMQTTOverTLSOnly: with only a TLS listener configured, the cloud's own
// client reaches the broker on a loopback port and a stand that pins the
// broker's CA connects over mqtts://.
func TestMQTTOverTLSOnly(t *testing.T) {
	ca := testcert.NewCA(t, "cloud test CA")
	certFile, keyFile := ca.ServerFiles(t, t.TempDir(), "mqtt")
	free := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		return ln.Addr().String()
	}
	tlsAddr := free()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{HTTPAddr: ln.Addr().String(), DataDir: t.TempDir(), Sandbox: true,
		MQTTTLSAddr: tlsAddr, MQTTTLSCert: certFile, MQTTTLSKey: keyFile,
		SecretKey: base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32)), ShutdownTimeout: 5 * time.Second}
	ctx, cancel := context.WithCancel(context.Background())
	s, err := New(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for !s.link.Connected() {
		if time.Now().After(deadline) {
			t.Fatal("the cloud's MQTT client did not connect")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if resp, err := http.Get("http://" + cfg.HTTPAddr + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v", err)
	}

	id, secret := "qrs-tlstest01", mqtt.NewSecret()
	if _, err := s.Storage().RegisterStand(ctx, id, secret, time.Now()); err != nil {
		t.Fatal(err)
	}
	sc, err := standclient.New(standclient.Config{Broker: "mqtts://" + tlsAddr, DeviceID: id, Secret: secret, CA: ca.PEM,
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	connected := make(chan struct{}, 1)
	sc.OnConnect(func(context.Context) { connected <- struct{}{} })
	sctx, scancel := context.WithCancel(ctx)
	sdone := make(chan error, 1)
	go func() { sdone <- sc.Run(sctx) }()
	defer func() { scancel(); <-sdone }()
	select {
	case <-connected:
	case <-time.After(15 * time.Second):
		t.Fatal("the stand did not connect over TLS")
	}
}
