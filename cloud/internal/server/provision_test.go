package server

import (
	"context"
	"testing"

	"github.com/qrstand/qrstand/mqtt"
)

func TestProvisionStands(t *testing.T) {
	cfg := Config{Dev: true, DataDir: t.TempDir()}
	ps, err := ProvisionStands(context.Background(), cfg, 3, "ssl://mqtt.example.com:8883")
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 3 {
		t.Fatalf("got %d stands", len(ps))
	}
	seen := map[string]bool{}
	for _, p := range ps {
		if !mqtt.ValidDeviceID(p.DeviceID) || seen[p.DeviceID] || p.Secret == "" || p.Broker != "ssl://mqtt.example.com:8883" {
			t.Errorf("bad provision %+v", p)
		}
		seen[p.DeviceID] = true
	}
	// The broker's lookup finds them: the secret matches the stored hash.
	srv, err := New(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for _, p := range ps {
		st, err := srv.st.Stand(context.Background(), p.DeviceID)
		if err != nil {
			t.Fatalf("stand %s not registered: %v", p.DeviceID, err)
		}
		if !mqtt.CheckSecret(st.SecretHash, p.Secret) {
			t.Errorf("stand %s: secret does not match the stored hash", p.DeviceID)
		}
	}
	if _, err := ProvisionStands(context.Background(), cfg, 0, "tcp://x:1"); err == nil {
		t.Error("0 stands accepted")
	}
	if _, err := ProvisionStands(context.Background(), cfg, 1, "mqtt.example.com"); err == nil {
		t.Error("a broker address without scheme accepted")
	}
}
