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
		{"embedded without addr", func(c *Config) { c.BrokerKind = BrokerEmbedded }, "mqtt_addr"},
		{"unknown broker", func(c *Config) { c.BrokerKind = "rabbitmq" }, "broker kind"},
		{"external without url", func(c *Config) { c.BrokerKind, c.BrokerPassword = BrokerEMQX, "pw" }, "broker URL"},
		{"external bad url", func(c *Config) { c.BrokerKind, c.BrokerURL, c.BrokerPassword = BrokerEMQX, "http://x:1883", "pw" }, "broker URL"},
		{"external with embedded addr", func(c *Config) {
			c.BrokerKind, c.BrokerURL, c.BrokerPassword, c.MQTTAddr = BrokerMosquitto, "tcp://x:1883", "pw", "127.0.0.1:1884"
		}, "unset mqtt_addr"},
		{"external without password", func(c *Config) { c.BrokerKind, c.BrokerURL = BrokerEMQX, "tcp://x:1883" }, "broker password"},
		{"mosquitto without admin", func(c *Config) { c.BrokerKind, c.BrokerURL, c.BrokerPassword = BrokerMosquitto, "tcp://x:1883", "pw" }, "admin"},
		{"emqx short token", func(c *Config) {
			c.BrokerKind, c.BrokerURL, c.BrokerPassword, c.BrokerAuthToken = BrokerEMQX, "tcp://x:1883", "pw", "short"
		}, "token"},
		{"bad node id", func(c *Config) { c.NodeID = "Node 1" }, "node id"},
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

func TestConfigBrokerDefaults(t *testing.T) {
	c := Config{DataDir: "/tmp/x", Dev: true, MQTTAddr: "127.0.0.1:1884"}
	c.ApplyDefaults()
	if c.BrokerKind != BrokerEmbedded || c.BrokerUser != ServiceUser || c.NodeID == "" || c.OutboxRetention != 7*24*time.Hour {
		t.Errorf("defaults %+v", c)
	}
	c = Config{DataDir: "/tmp/x", Dev: true}
	c.ApplyDefaults()
	if c.BrokerKind != BrokerNone {
		t.Errorf("no mqtt addr: kind %q, want none", c.BrokerKind)
	}
	c = Config{DataDir: "/tmp/x", Dev: true, BrokerKind: BrokerMosquitto, BrokerURL: "tcp://127.0.0.1:1883", BrokerPassword: "pw",
		BrokerAdminUser: "admin", BrokerAdminPassword: "apw", NodeID: "node-2"}
	c.ApplyDefaults()
	if err := c.Validate(); err != nil {
		t.Errorf("mosquitto config: %v", err)
	}
	for host, want := range map[string]string{"Cloud_01.example.com": "cloud-01-example-com", "": "node", "节点": "node",
		strings.Repeat("a", 40): strings.Repeat("a", 32)} {
		if got := nodeID(host); got != want {
			t.Errorf("nodeID(%q) = %q, want %q", host, got, want)
		}
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
