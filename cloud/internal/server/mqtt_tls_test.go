package server

import (
	"context"
	"net"
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
	ts := startServerWith(t, func(c *Config) {
		c.MQTTAddr, c.MQTTTLSAddr, c.MQTTTLSCert, c.MQTTTLSKey = "", tlsAddr, certFile, keyFile
	}, nil) // ready: its own MQTT client is connected
	ctx := context.Background()

	id, secret := "qrs-tlstest01", mqtt.NewSecret()
	if _, err := ts.Storage().RegisterStand(ctx, id, secret, time.Now()); err != nil {
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
