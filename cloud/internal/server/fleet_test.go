package server

import (
	"context"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/qrstand/qrstand/mqtt"
)

// TestRekeyEndsSession: re-keying a stand ends its live session on the
// embedded broker at once, the old secret is refused and the new one
// works; revoking refuses every secret.
func TestRekeyEndsSession(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	stand := newStandSim(t, ts)
	lost := make(chan struct{})
	opts := paho.NewClientOptions().AddBroker("tcp://" + ts.mqttAddr).SetClientID(stand.id).SetUsername(stand.id).
		SetPassword(stand.secret).SetCleanSession(false).SetAutoReconnect(false).
		SetConnectionLostHandler(func(paho.Client, error) { close(lost) })
	stand.client.Disconnect(100) // one connection per client id: take over with a watched one
	c := paho.NewClient(opts)
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	defer c.Disconnect(100)

	newSecret := mqtt.NewSecret()
	if err := ts.Storage().RekeyStand(ctx, stand.id, newSecret); err != nil {
		t.Fatal(err)
	}
	if err := ts.kicker.StandCredentialsChanged(ctx, stand.id, false); err != nil {
		t.Fatal(err)
	}
	select {
	case <-lost:
	case <-time.After(10 * time.Second):
		t.Fatal("the live session survived the re-key")
	}
	connect := func(secret string) error {
		o := paho.NewClientOptions().AddBroker("tcp://" + ts.mqttAddr).SetClientID(stand.id).SetUsername(stand.id).SetPassword(secret).
			SetCleanSession(false).SetAutoReconnect(false).SetConnectRetry(false)
		cl := paho.NewClient(o)
		tok := cl.Connect()
		if !tok.WaitTimeout(10 * time.Second) {
			t.Fatal("connect timed out")
		}
		if tok.Error() == nil {
			cl.Disconnect(50)
		}
		return tok.Error()
	}
	if err := connect(stand.secret); err == nil {
		t.Error("the old secret still connects")
	}
	if err := connect(newSecret); err != nil {
		t.Errorf("the new secret: %v", err)
	}
	if err := ts.Storage().RevokeStand(ctx, stand.id, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := connect(newSecret); err == nil {
		t.Error("a revoked stand connects")
	}
}
