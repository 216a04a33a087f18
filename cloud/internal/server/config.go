package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/secretbox"
)

// Config is the service configuration. Zero optional fields mean their
// documented defaults. Environment variables QRSTAND_<FIELD> (upper-case,
// e.g. QRSTAND_HTTP_ADDR) and an optional JSON file map onto it in main.
type Config struct {
	// HTTPAddr is where pages listen. Default "127.0.0.1:8080".
	HTTPAddr string `json:"http_addr"`
	// BaseURL is the external URL QR codes hold. Default "http://" + HTTPAddr.
	BaseURL string `json:"base_url"`
	// MQTTAddr is the embedded broker's listen address; empty disables the
	// embedded broker (an external broker is then used). Default empty.
	MQTTAddr string `json:"mqtt_addr"`
	// DataDir holds the SQLite database and broker state. Required for SQLite.
	DataDir string `json:"data_dir"`
	// UpdateKeys is a file of the fleet's firmware update public keys
	// (base64 ed25519, one a line); bundles are checked against it when
	// added. Firmware bundles live in DataDir/firmware. Default empty.
	UpdateKeys string `json:"update_keys"`
	// Database is "sqlite" (default) or "postgres".
	Database string `json:"database"`
	// PostgresDSN is the pgx connection string when Database is "postgres".
	PostgresDSN string `json:"postgres_dsn"`
	// SecretKey is the base64 32-byte AES-GCM key that seals WeChat
	// credentials at rest. Required unless Dev (dev derives a stored one).
	SecretKey string `json:"secret_key"`
	// Sandbox serves WeChat OAuth from the in-process simulator.
	Sandbox bool `json:"sandbox"`
	// WeChatAppID/WeChatAppSecret are the official account used for staff
	// and customer OAuth (snsapi_base). Required unless Sandbox.
	WeChatAppID     string `json:"wechat_app_id"`
	WeChatAppSecret string `json:"wechat_app_secret"`
	// Dev: sandbox, SQLite in DataDir, a seeded operator and demo provider.
	Dev bool `json:"dev"`
	// ShutdownTimeout bounds graceful shutdown. Default 10 s.
	ShutdownTimeout time.Duration `json:"shutdown_timeout"`
	// CodeTTL is how long activation codes work. Default 7 days.
	CodeTTL time.Duration `json:"code_ttl"`
	// OperatorUser/OperatorPassword seed the platform operator login on an
	// empty database (optional; Dev seeds one).
	OperatorUser     string `json:"operator_user"`
	OperatorPassword string `json:"operator_password"`
	// WeChatPay is the service provider's WeChat Pay account; outside
	// sandbox mode the pay page works only with it (see WeChatPayConfig).
	WeChatPay *WeChatPayConfig `json:"wechat_pay,omitempty"`
}

// ApplyDefaults fills documented defaults.
func (c *Config) ApplyDefaults() {
	if c.HTTPAddr == "" {
		c.HTTPAddr = "127.0.0.1:8080"
	}
	if c.BaseURL == "" {
		c.BaseURL = "http://" + c.HTTPAddr
	}
	if c.Database == "" {
		c.Database = "sqlite"
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = 10 * time.Second
	}
	if c.CodeTTL == 0 {
		c.CodeTTL = 7 * 24 * time.Hour
	}
	if c.Dev {
		c.Sandbox = true
	}
}

// Validate reports the first problem with c (after ApplyDefaults).
func (c *Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		return fmt.Errorf("server: http address %q: %w", c.HTTPAddr, err)
	}
	if c.MQTTAddr != "" {
		if _, _, err := net.SplitHostPort(c.MQTTAddr); err != nil {
			return fmt.Errorf("server: mqtt address %q: %w", c.MQTTAddr, err)
		}
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return fmt.Errorf("server: base URL %q must be http(s)://host[:port]", c.BaseURL)
	}
	switch c.Database {
	case "sqlite":
		if c.DataDir == "" {
			return errors.New("server: data dir required for sqlite")
		}
	case "postgres":
		if c.PostgresDSN == "" {
			return errors.New("server: postgres DSN required")
		}
	default:
		return fmt.Errorf("server: database %q: want sqlite or postgres", c.Database)
	}
	if c.SecretKey == "" && !c.Dev {
		return errors.New("server: secret key required (base64 of 32 random bytes)")
	}
	if c.SecretKey != "" {
		if _, err := secretbox.ParseKey(c.SecretKey); err != nil {
			return fmt.Errorf("server: secret key: %w", err)
		}
	}
	if !c.Sandbox && (c.WeChatAppID == "" || c.WeChatAppSecret == "") {
		return errors.New("server: WeChat app id and secret required outside sandbox mode")
	}
	if !c.Sandbox && !strings.HasPrefix(c.BaseURL, "https://") {
		return errors.New("server: real WeChat needs an https base URL")
	}
	if c.ShutdownTimeout < 0 || c.CodeTTL < time.Minute {
		return errors.New("server: shutdown timeout must be >= 0 and code TTL >= 1m")
	}
	return nil
}

// LoadFile merges a JSON config file into c (fields present in the file
// override c).
func (c *Config) LoadFile(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("server: config file: %w", err)
	}
	return ParseConfigJSON(b, c)
}

// ParseConfigJSON decodes JSON config strictly (unknown fields are errors).
// Durations are Go duration strings ("10s").
func ParseConfigJSON(b []byte, c *Config) error {
	type alias Config
	aux := struct {
		*alias
		ShutdownTimeout string `json:"shutdown_timeout"`
		CodeTTL         string `json:"code_ttl"`
	}{alias: (*alias)(c)}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&aux); err != nil {
		return fmt.Errorf("server: config JSON: %w", err)
	}
	for _, d := range []struct {
		s   string
		dst *time.Duration
	}{{aux.ShutdownTimeout, &c.ShutdownTimeout}, {aux.CodeTTL, &c.CodeTTL}} {
		if d.s == "" {
			continue
		}
		v, err := time.ParseDuration(d.s)
		if err != nil {
			return fmt.Errorf("server: config JSON: %w", err)
		}
		*d.dst = v
	}
	return nil
}
