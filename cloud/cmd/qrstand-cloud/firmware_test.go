package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qrstand/qrstand/cloud/internal/firmware"
	"github.com/qrstand/qrstand/cloud/internal/server"
)

// The release path end to end on a dev SQLite database: keygen, sign,
// add (checked against the keys), a list rollout, status as JSON.
func TestFirmwareCommands(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	run := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		if err := runFirmware(args, &out); err != nil {
			t.Fatalf("firmware %s: %v", strings.Join(args, " "), err)
		}
		return out.String()
	}
	key := filepath.Join(dir, "fleet.key")
	pub := strings.TrimSpace(run("keygen", "-key", key))
	keys := filepath.Join(dir, "update-keys")
	if err := os.WriteFile(keys, []byte("# fleet\n"+pub+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := runFirmware([]string{"keygen", "-key", key}, &bytes.Buffer{}); err == nil {
		t.Error("keygen overwrote an existing key")
	}
	exe := filepath.Join(dir, "qrstand")
	if err := os.WriteFile(exe, []byte("\x7fELF pretend arm64 executable"), 0o755); err != nil {
		t.Fatal(err)
	}
	bundlePath := filepath.Join(dir, "qrstand-v1.4.0-arm64.bundle")
	run("sign", "-key", key, "-version", "v1.4.0", "-arch", "arm64", "-bin", exe, "-out", bundlePath)

	cfg := []string{"-dev", "-data", data, "-update-keys", keys}
	// A stand to roll out to.
	ps, err := server.ProvisionStands(t.Context(), server.Config{Dev: true, DataDir: data}, 1, "tcp://127.0.0.1:1883")
	if err != nil {
		t.Fatal(err)
	}
	added := run(append([]string{"add", bundlePath}, cfg...)...)
	if !strings.Contains(added, "v1.4.0\tqrstand-pi/arm64") {
		t.Errorf("add printed %q", added)
	}
	// A bundle signed by another key is refused.
	other := filepath.Join(dir, "other.key")
	run("keygen", "-key", other)
	bad := filepath.Join(dir, "bad.bundle")
	run("sign", "-key", other, "-version", "v1.5.0", "-arch", "arm64", "-bin", exe, "-out", bad)
	if err := runFirmware(append([]string{"add", bad}, cfg...), &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "signature") {
		t.Errorf("add of a foreign bundle: %v", err)
	}
	var r firmware.Rollout
	if err := json.Unmarshal([]byte(run(append([]string{"rollout", "-version", "v1.4.0", "-stands", ps[0].DeviceID}, cfg...)...)), &r); err != nil {
		t.Fatal(err)
	}
	run(append([]string{"pause", r.ID, "-reason", "checking"}, cfg...)...)
	var st firmware.Status
	if err := json.Unmarshal([]byte(run(append([]string{"status"}, cfg...)...)), &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Bundles) != 1 || len(st.Rollouts) != 1 || st.Rollouts[0].State != firmware.RolloutPaused || st.Rollouts[0].Reason != "checking" || len(st.Stands) != 1 {
		t.Errorf("status %+v", st)
	}
}
