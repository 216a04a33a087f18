package config

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/qrstand/qrstand/mqtt/broker/testcert"
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

func TestBrokerTLSConfig(t *testing.T) {
	ca := testcert.NewCA(t, "pinned")
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	os.WriteFile(caFile, ca.PEM, 0o600)
	creds := "device_id = \"stand-0001\"\nsecret = \"x\"\n"
	for _, tc := range []struct {
		name, toml string
		wantErr    string
	}{
		{"tls, system roots", `broker = "mqtts://mqtt.example.com:8883"`, ""},
		{"tls, pinned CA file", `broker = "mqtts://mqtt.example.com:8883"
broker_ca_file = "` + caFile + `"`, ""},
		{"plain on loopback", `broker = "tcp://127.0.0.1:1884"`, ""},
		{"plain on localhost", `broker = "tcp://localhost:1884"`, ""},
		{"plain to another machine", `broker = "tcp://mqtt.example.com:1883"`, "in clear"},
		{"plain to another machine, allowed", `broker = "tcp://192.168.1.10:1883"
allow_plain_broker = true`, ""},
		{"CA with a plain broker", `broker = "tcp://127.0.0.1:1884"
broker_ca_file = "` + caFile + `"`, "needs a TLS broker URL"},
		{"CA file that is not PEM", `broker = "mqtts://mqtt.example.com:8883"
broker_ca_file = "` + filepath.Join(dir, "notpem") + `"`, "broker CA"},
		{"no port", `broker = "mqtts://mqtt.example.com"`, "mqtts://host:port"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			os.WriteFile(filepath.Join(dir, "notpem"), []byte("hello"), 0o600)
			c, err := Parse(creds + tc.toml)
			if err == nil {
				err = c.ResolveSecrets(nil)
			}
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

	// The provisioning file carries the pinned CA inline; a configured
	// broker_ca_file wins over it.
	prov := filepath.Join(dir, "stand.json")
	b, _ := json.Marshal(map[string]string{"device_id": "stand-0001", "secret": "x", "broker": "mqtts://mqtt.example.com:8883", "broker_ca": string(ca.PEM)})
	os.WriteFile(prov, b, 0o600)
	c := Default()
	c.Provision = prov
	if err := c.ResolveSecrets(nil); err != nil {
		t.Fatal(err)
	}
	if c.BrokerCA != string(ca.PEM) || c.Broker != "mqtts://mqtt.example.com:8883" {
		t.Fatalf("from the provisioning file: CA %q broker %q", c.BrokerCA, c.Broker)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	other := testcert.NewCA(t, "other")
	os.WriteFile(caFile, other.PEM, 0o600)
	c = Default()
	c.Provision, c.BrokerCAFile = prov, caFile
	if err := c.ResolveSecrets(nil); err != nil {
		t.Fatal(err)
	}
	if c.BrokerCA != string(other.PEM) {
		t.Error("broker_ca_file did not win over the provisioning file")
	}
}
