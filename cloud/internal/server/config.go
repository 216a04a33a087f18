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
	"github.com/qrstand/qrstand/mqtt/broker"
)

// Config is the service configuration. Zero optional fields mean their
// documented defaults. Environment variables QRSTAND_<FIELD> (upper-case,
// e.g. QRSTAND_HTTP_ADDR) and an optional JSON file map onto it in main.
type Config struct {
	// HTTPAddr is where pages listen. Default "127.0.0.1:8080".
	HTTPAddr string `json:"http_addr"`
	// BaseURL is the external URL QR codes hold. Default "http://" + HTTPAddr.
	BaseURL string `json:"base_url"`
	// MQTTAddr is the embedded broker's plain (unencrypted) listen
	// address, which the cloud's own MQTT client dials too. It must be a
	// loopback address unless MQTTPlainPublic. Empty disables the embedded
	// broker, unless MQTTTLSAddr is set (then it is 127.0.0.1 on a free
	// port). Default empty.
	MQTTAddr string `json:"mqtt_addr"`
	// MQTTPlainPublic allows MQTTAddr on a non-loopback address (a private
	// network; stand secrets and payments then cross it in clear).
	MQTTPlainPublic bool `json:"mqtt_plain_public"`
	// MQTTTLSAddr is the embedded broker's TLS listen address (e.g.
	// ":8883"), what stands on the internet dial as mqtts://host:8883;
	// MQTTTLSCert and MQTTTLSKey are its PEM certificate chain and key
	// files, re-read when they change (a renewal needs no restart).
	MQTTTLSAddr string `json:"mqtt_tls_addr"`
	MQTTTLSCert string `json:"mqtt_tls_cert"`
	MQTTTLSKey  string `json:"mqtt_tls_key"`
	// MQTTMaxPacketSize bounds one MQTT packet in bytes (default 16 KiB);
	// MQTTMaxRetainedSize one retained message (default 8 KiB);
	// MQTTConnectTimeout the time a new connection has to send CONNECT
	// (default 10 s). See mqtt/broker.Config.
	MQTTMaxPacketSize   int           `json:"mqtt_max_packet_size"`
	MQTTMaxRetainedSize int           `json:"mqtt_max_retained_size"`
	MQTTConnectTimeout  time.Duration `json:"mqtt_connect_timeout"`
	// MQTTMaxPendingConnects bounds the connections per listener still
	// waiting for CONNECT (default 1024).
	MQTTMaxPendingConnects int `json:"mqtt_max_pending_connects"`
	// BrokerKind is which MQTT broker the stands use: "embedded" (this
	// process runs it on MQTTAddr), "mosquitto" (Mosquitto 2 with dynamic
	// security, kept in step through its control API), "emqx" (EMQX 5
	// asking this node's /mqtt/emqx/authn and /mqtt/emqx/authz), or "none"
	// (no broker: pages only). Default "embedded" when MQTTAddr is set,
	// else "none".
	BrokerKind string `json:"broker_kind"`
	// BrokerURL is the external broker this node's MQTT clients dial
	// (tcp://host:1883 or ssl://host:8883). Required for mosquitto and emqx.
	BrokerURL string `json:"broker_url"`
	// BrokerUser and BrokerPassword are the cloud's service identity on an
	// external broker, shared by every node (each connects with its own
	// client id, see NodeID). User default "qrstand_cloud"; the password
	// is required for mosquitto and emqx (environment or file only).
	BrokerUser     string `json:"broker_user"`
	BrokerPassword string `json:"broker_password"`
	// BrokerAdminUser and BrokerAdminPassword are Mosquitto's
	// dynamic-security admin (mosquitto_ctrl dynsec init). Required for
	// mosquitto.
	BrokerAdminUser     string `json:"broker_admin_user"`
	BrokerAdminPassword string `json:"broker_admin_password"`
	// BrokerAuthToken is the bearer token EMQX sends to the authn/authz
	// endpoints. Required for emqx (at least 32 characters).
	BrokerAuthToken string `json:"broker_auth_token"`
	// NodeID names this cloud node, unique among the nodes sharing a
	// database and broker; it is part of the node's MQTT client ids and of
	// its outbox claims. Default: the host name, reduced to [a-z0-9-].
	NodeID string `json:"node_id"`
	// OutboxRetention is how long delivered outbox rows are kept before
	// they are purged (in batches). Default 7 days; negative keeps them.
	OutboxRetention time.Duration `json:"outbox_retention"`
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
	// WeChatTemplatePaid is that official account's template id for the
	// staff payment message (公众平台 → 模板消息). Default "qrstand-payment",
	// which only the simulator accepts.
	WeChatTemplatePaid string `json:"wechat_template_paid"`
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
	// WeChatPay is the default WeChat Pay partner account (one provider per
	// deployment); providers may enter their own in the console instead
	// (see WeChatPayConfig).
	WeChatPay *WeChatPayConfig `json:"wechat_pay,omitempty"`
	// MetricsAddr is where /metrics listens, apart from the pages (main's
	// default is 127.0.0.1:9464). Empty: /metrics is not served.
	MetricsAddr string `json:"metrics_addr"`
	// StandBrokerURL is the broker URL written into provisioning files the
	// console hands out (what stands dial). Default "tcp://" + MQTTAddr.
	StandBrokerURL string `json:"stand_broker_url"`
	// Alerts tune stand alerts to staff.
	Alerts AlertsConfig `json:"alerts"`
}

// AlertsConfig tunes stand alerts (see standlink.AlertConfig for the
// defaults: offline after 10 min, quiet 30 min, business 08:00–22:00).
type AlertsConfig struct {
	TemplateID    string        `json:"template_id"`
	OfflineAfter  time.Duration `json:"offline_after"`
	Quiet         time.Duration `json:"quiet"`
	BatteryLow    int           `json:"battery_low"`
	BusinessStart string        `json:"business_start"`
	BusinessEnd   string        `json:"business_end"`
	// CheckEvery is how often offline stands are looked for (tests).
	CheckEvery time.Duration `json:"-"`
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
	if c.StandBrokerURL == "" && c.MQTTAddr != "" {
		c.StandBrokerURL = "tcp://" + dialAddr(c.MQTTAddr)
	}
	if c.MQTTAddr == "" && c.MQTTTLSAddr != "" {
		c.MQTTAddr = "127.0.0.1:0" // for the cloud's own client only
	}
	if c.BrokerKind == "" {
		c.BrokerKind = BrokerNone
		if c.MQTTAddr != "" {
			c.BrokerKind = BrokerEmbedded
		}
	}
	if c.BrokerUser == "" {
		c.BrokerUser = ServiceUser
	}
	if c.NodeID == "" {
		h, _ := os.Hostname()
		c.NodeID = nodeID(h)
	}
	if c.OutboxRetention == 0 {
		c.OutboxRetention = 7 * 24 * time.Hour
	}
}

// Broker kinds (Config.BrokerKind).
const (
	BrokerEmbedded  = "embedded"
	BrokerMosquitto = "mosquitto"
	BrokerEMQX      = "emqx"
	BrokerNone      = "none"
)

// nodeID reduces a host name to what an MQTT client id and a log line
// carry safely: lower-case letters, digits and '-', at most 32 characters.
func nodeID(host string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(host) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-':
			b.WriteRune(r)
		case r == '.' || r == '_':
			b.WriteByte('-')
		}
		if b.Len() == 32 {
			break
		}
	}
	if b.Len() == 0 {
		return "node"
	}
	return b.String()
}

// validateBroker checks the broker fields for c.BrokerKind.
func (c *Config) validateBroker() error {
	if c.NodeID != nodeID(c.NodeID) {
		return fmt.Errorf("server: node id %q: use 1-32 of a-z 0-9 -", c.NodeID)
	}
	external := c.BrokerKind == BrokerMosquitto || c.BrokerKind == BrokerEMQX
	switch c.BrokerKind {
	case BrokerEmbedded:
		if c.MQTTAddr == "" {
			return errors.New("server: embedded broker needs mqtt_addr")
		}
	case BrokerNone:
		if c.MQTTAddr != "" {
			return errors.New("server: broker kind none with an mqtt_addr")
		}
	case BrokerMosquitto, BrokerEMQX:
	default:
		return fmt.Errorf("server: broker kind %q: want embedded, mosquitto, emqx or none", c.BrokerKind)
	}
	if !external {
		return nil
	}
	if c.MQTTAddr != "" {
		return fmt.Errorf("server: broker kind %s runs no embedded broker: unset mqtt_addr", c.BrokerKind)
	}
	u, err := url.Parse(c.BrokerURL)
	if err != nil || (u.Scheme != "tcp" && u.Scheme != "ssl" && u.Scheme != "tls") || u.Port() == "" {
		return fmt.Errorf("server: broker URL %q must be tcp://host:port or ssl://host:port", c.BrokerURL)
	}
	if c.BrokerPassword == "" {
		return errors.New("server: broker password required for an external broker")
	}
	if c.BrokerKind == BrokerMosquitto && (c.BrokerAdminUser == "" || c.BrokerAdminPassword == "") {
		return errors.New("server: mosquitto needs its dynamic-security admin user and password")
	}
	if c.BrokerKind == BrokerEMQX && len(c.BrokerAuthToken) < 32 {
		return errors.New("server: emqx needs a broker auth token of at least 32 characters")
	}
	return nil
}

// Validate reports the first problem with c (after ApplyDefaults).
func (c *Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		return fmt.Errorf("server: http address %q: %w", c.HTTPAddr, err)
	}
	if err := c.validateMQTT(); err != nil {
		return err
	}
	if err := c.validateBroker(); err != nil {
		return err
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
	if err := c.validateSafety(); err != nil {
		return err
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

// validateMQTT checks the embedded broker's listeners and limits.
func (c *Config) validateMQTT() error {
	if c.MQTTAddr != "" {
		if _, _, err := net.SplitHostPort(c.MQTTAddr); err != nil {
			return fmt.Errorf("server: mqtt address %q: %w", c.MQTTAddr, err)
		}
		if !c.MQTTPlainPublic && !broker.IsLoopback(c.MQTTAddr) {
			return fmt.Errorf("server: mqtt address %q is not loopback: stand secrets and payments would cross the network in clear; "+
				"give stands the TLS listener (-mqtt-tls, -mqtt-tls-cert, -mqtt-tls-key) and keep -mqtt on 127.0.0.1, or set -mqtt-plain-public", c.MQTTAddr)
		}
	}
	if c.MQTTTLSAddr != "" {
		if _, _, err := net.SplitHostPort(c.MQTTTLSAddr); err != nil {
			return fmt.Errorf("server: mqtt TLS address %q: %w", c.MQTTTLSAddr, err)
		}
		if c.MQTTTLSCert == "" || c.MQTTTLSKey == "" {
			return errors.New("server: the mqtt TLS listener needs a certificate and a key file (-mqtt-tls-cert, -mqtt-tls-key)")
		}
	} else if c.MQTTTLSCert != "" || c.MQTTTLSKey != "" {
		return errors.New("server: mqtt TLS certificate given without a TLS address (-mqtt-tls)")
	}
	if c.MQTTMaxPacketSize < 0 || c.MQTTMaxRetainedSize < 0 || c.MQTTConnectTimeout < 0 || c.MQTTMaxPendingConnects < 0 {
		return errors.New("server: negative mqtt limit")
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
		ShutdownTimeout    string `json:"shutdown_timeout"`
		CodeTTL            string `json:"code_ttl"`
		MQTTConnectTimeout string `json:"mqtt_connect_timeout"`
		OutboxRetention    string `json:"outbox_retention"`
	}{alias: (*alias)(c)}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&aux); err != nil {
		return fmt.Errorf("server: config JSON: %w", err)
	}
	for _, d := range []struct {
		s   string
		dst *time.Duration
	}{{aux.ShutdownTimeout, &c.ShutdownTimeout}, {aux.CodeTTL, &c.CodeTTL}, {aux.MQTTConnectTimeout, &c.MQTTConnectTimeout}, {aux.OutboxRetention, &c.OutboxRetention}} {
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
