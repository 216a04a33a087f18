package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestShippedExampleIsTheDefaults keeps firmware/dist/qrstand.toml honest:
// it must parse and say exactly the defaults.
func TestShippedExampleIsTheDefaults(t *testing.T) {
	c, err := Load("../../dist/qrstand.toml")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(c, Default()); d != "" {
		t.Errorf("dist/qrstand.toml differs from Default() (-file +default):\n%s", d)
	}
}

func TestParseAndValidate(t *testing.T) {
	for _, tc := range []struct {
		name, toml string
		wantErr    string // "" = valid
	}{
		{"minimal", `device_id = "stand-0001"
secret = "s3cret"`, ""},
		{"unknown key", `device_id = "stand-0001"
secrte = "x"`, "unknown key"},
		{"bad id", `device_id = "Stand 1"
secret = "x"`, "not a valid stand id"},
		{"no secret", `device_id = "stand-0001"`, "no secret"},
		{"tcp printer without address", `device_id = "stand-0001"
secret = "x"
[hardware]
printer = "tcp"`, "printer_addr"},
		{"thresholds", `device_id = "stand-0001"
secret = "x"
[hardware.battery]
low_percent = 5
critical_percent = 10`, "critical_percent < low_percent"},
		{"bad duration", `keepalive = "soon"`, "invalid duration"},
		{"quiet hours", `device_id = "stand-0001"
secret = "x"
[speech]
quiet_hours = "22:00-07:00"
two = "liang"`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(tc.toml)
			if err == nil {
				err = c.Validate()
			}
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestResolveSecrets(t *testing.T) {
	dir := t.TempDir()
	prov := filepath.Join(dir, "stand.json")
	os.WriteFile(prov, []byte(`{"device_id":"qrs-demo-0001","secret":"abc","broker":"tcp://127.0.0.1:1884"}`), 0o600)
	c := Default()
	c.Provision = prov
	if err := c.ResolveSecrets(nil); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{c.DeviceID, c.Secret, c.Broker}, []string{"qrs-demo-0001", "abc", "tcp://127.0.0.1:1884"}); d != "" {
		t.Errorf("from provision file (-got +want):\n%s", d)
	}

	sf := filepath.Join(dir, "secret")
	os.WriteFile(sf, []byte("fromfile\n"), 0o600)
	c = Default()
	c.SecretFile = sf
	c.ResolveSecrets(func(string) string { return "fromenv" })
	if c.Secret != "fromfile" {
		t.Errorf("secret = %q, want the file's", c.Secret)
	}
	c = Default()
	c.ResolveSecrets(func(k string) string { return map[string]string{"QRSTAND_SECRET": "fromenv"}[k] })
	if c.Secret != "fromenv" {
		t.Errorf("secret = %q, want the environment's", c.Secret)
	}
	c = Default()
	c.Provision = filepath.Join(dir, "missing.json")
	if err := c.ResolveSecrets(nil); err == nil {
		t.Error("a missing provision file is not an error")
	}
}

// FuzzParse: any config text gives a config or an error, never a panic,
// and an accepted config validates without panicking.
func FuzzParse(f *testing.F) {
	b, _ := os.ReadFile("../../dist/qrstand.toml")
	f.Add(string(b))
	f.Add(`device_id = "stand-0001"` + "\n" + `[speech]` + "\n" + `quiet_hours = "25:00-07:00"`)
	f.Add(`[hardware.battery]` + "\n" + `address = 99999999999`)
	f.Add(`keepalive = "-1s"`)
	f.Fuzz(func(t *testing.T, text string) {
		c, err := Parse(text)
		if err != nil {
			return
		}
		_ = c.Validate()
	})
}
