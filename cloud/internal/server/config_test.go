package server

import (
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	ok := Config{DataDir: "/tmp/x", Dev: true}
	ok.ApplyDefaults()
	if err := ok.Validate(); err != nil {
		t.Fatalf("dev config: %v", err)
	}
	if ok.HTTPAddr != "127.0.0.1:8080" || ok.BaseURL != "http://127.0.0.1:8080" || !ok.Sandbox || ok.ShutdownTimeout != 10*time.Second {
		t.Errorf("defaults = %+v", ok)
	}
	for _, tc := range []struct {
		name string
		mut  func(*Config)
		want string
	}{
		{"bad http", func(c *Config) { c.HTTPAddr = "nope" }, "http address"},
		{"bad mqtt", func(c *Config) { c.MQTTAddr = "nope" }, "mqtt address"},
		{"plain mqtt on every interface", func(c *Config) { c.MQTTAddr = ":1883" }, "not loopback"},
		{"plain mqtt on a public address", func(c *Config) { c.MQTTAddr = "203.0.113.7:1883" }, "not loopback"},
		{"mqtt TLS without a key", func(c *Config) { c.MQTTTLSAddr, c.MQTTTLSCert = ":8883", "cert.pem" }, "key file"},
		{"mqtt TLS files without an address", func(c *Config) { c.MQTTTLSCert, c.MQTTTLSKey = "cert.pem", "key.pem" }, "without a TLS address"},
		{"bad mqtt TLS address", func(c *Config) { c.MQTTTLSAddr, c.MQTTTLSCert, c.MQTTTLSKey = "nope", "c", "k" }, "mqtt TLS address"},
		{"bad base", func(c *Config) { c.BaseURL = "ftp://x" }, "base URL"},
		{"base with path", func(c *Config) { c.BaseURL = "http://x/y" }, "base URL"},
		{"no data dir", func(c *Config) { c.DataDir = "" }, "data dir"},
		{"postgres without dsn", func(c *Config) { c.Database = "postgres" }, "DSN"},
		{"unknown db", func(c *Config) { c.Database = "mysql" }, "database"},
		{"bad key", func(c *Config) { c.SecretKey = "c2hvcnQ=" }, "secret key"},
		{"no key outside dev", func(c *Config) { c.Dev = false; c.Sandbox = true }, "secret key"},
		{"real wechat needs app", func(c *Config) {
			c.Dev, c.Sandbox, c.SecretKey = false, false, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
		}, "WeChat app id"},
		{"real wechat needs https", func(c *Config) {
			c.Dev, c.Sandbox, c.SecretKey, c.WeChatAppID, c.WeChatAppSecret = false, false, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "wx1", "s"
		}, "https"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.mut(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate = %v, want an error about %q", err, tc.want)
			}
		})
	}
}

func TestConfigMQTTListeners(t *testing.T) {
	for _, tc := range []struct {
		name     string
		cfg      Config
		wantAddr string
	}{
		{"loopback", Config{MQTTAddr: "127.0.0.1:1884"}, "127.0.0.1:1884"},
		{"localhost", Config{MQTTAddr: "localhost:1884"}, "localhost:1884"},
		{"ipv6 loopback", Config{MQTTAddr: "[::1]:1884"}, "[::1]:1884"},
		{"public, asked for", Config{MQTTAddr: "0.0.0.0:1883", MQTTPlainPublic: true}, "0.0.0.0:1883"},
		{"TLS only: the cloud's own client gets a loopback port", Config{MQTTTLSAddr: ":8883", MQTTTLSCert: "c", MQTTTLSKey: "k"}, "127.0.0.1:0"},
		{"no broker", Config{}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.cfg
			c.DataDir, c.Dev = "/tmp/x", true
			c.ApplyDefaults()
			if err := c.Validate(); err != nil {
				t.Fatal(err)
			}
			if c.MQTTAddr != tc.wantAddr {
				t.Errorf("MQTTAddr = %q, want %q", c.MQTTAddr, tc.wantAddr)
			}
		})
	}
	var c Config
	if err := ParseConfigJSON([]byte(`{"mqtt_tls_addr":":8883","mqtt_tls_cert":"/etc/c.pem","mqtt_tls_key":"/etc/k.pem","mqtt_connect_timeout":"5s","mqtt_max_packet_size":32768}`), &c); err != nil {
		t.Fatal(err)
	}
	if c.MQTTTLSAddr != ":8883" || c.MQTTConnectTimeout != 5*time.Second || c.MQTTMaxPacketSize != 32768 || c.MQTTTLSKey != "/etc/k.pem" {
		t.Errorf("parsed %+v", c)
	}
}

func TestParseConfigJSON(t *testing.T) {
	var c Config
	err := ParseConfigJSON([]byte(`{"http_addr":"0.0.0.0:80","base_url":"https://pay.example.com","shutdown_timeout":"3s","code_ttl":"48h","sandbox":true}`), &c)
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != "0.0.0.0:80" || c.ShutdownTimeout != 3*time.Second || c.CodeTTL != 48*time.Hour || !c.Sandbox {
		t.Errorf("parsed %+v", c)
	}
	for _, bad := range []string{`{"http_adr":"x"}`, `{"shutdown_timeout":"soon"}`, `[`, `{"sandbox":"yes"}`} {
		if err := ParseConfigJSON([]byte(bad), &Config{}); err == nil {
			t.Errorf("ParseConfigJSON(%s) accepted", bad)
		}
	}
}

func FuzzParseConfigJSON(f *testing.F) {
	f.Add([]byte(`{"http_addr":"127.0.0.1:8080","code_ttl":"1h"}`))
	f.Add([]byte(`{"shutdown_timeout":"-1s"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var c Config
		if err := ParseConfigJSON(b, &c); err != nil {
			return
		}
		c.ApplyDefaults()
		_ = c.Validate() // must not panic
	})
}
