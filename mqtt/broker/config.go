package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"
)

// ErrUnknownStand is what a StandLookup returns for an id it does not know.
var ErrUnknownStand = errors.New("broker: unknown stand")

// StandLookup finds the stored secret hash of a stand (see mqtt.HashSecret).
// The cloud implements it over its database; tests use a map.
type StandLookup interface {
	StandSecretHash(ctx context.Context, id string) (string, error)
}

// StandLookupFunc adapts a function to StandLookup.
type StandLookupFunc func(ctx context.Context, id string) (string, error)

// StandSecretHash calls f.
func (f StandLookupFunc) StandSecretHash(ctx context.Context, id string) (string, error) {
	return f(ctx, id)
}

// Config is the broker's configuration; the zero value of an optional field
// means its documented default.
type Config struct {
	// Addr is the plain (unencrypted) TCP address to listen on, e.g.
	// "127.0.0.1:1884". It must be a loopback address unless PlainPublic is
	// set: stand secrets and payment events cross it in clear. Ignored when
	// Listener is set. Addr, Listener, TLSAddr or TLSListener is required.
	Addr string
	// Listener, if set, is used instead of listening on Addr (tests pass a
	// listener on 127.0.0.1:0 to learn the port).
	Listener net.Listener
	// PlainPublic allows Addr on a non-loopback address (a private network,
	// or a TLS-terminating proxy in front of the broker).
	PlainPublic bool

	// TLSAddr is the TLS listener's address, e.g. ":8883"; stands dial it
	// as mqtts://host:8883. Ignored when TLSListener is set.
	TLSAddr string
	// TLSListener, if set, is used instead of listening on TLSAddr (a plain
	// TCP listener; the broker does the TLS).
	TLSListener net.Listener
	// TLSCertFile and TLSKeyFile are the PEM certificate chain and key of
	// the TLS listener. The broker re-reads them when either file's
	// modification time or size changes, so a renewed certificate (e.g. by
	// an ACME client) takes effect on the next handshake without a restart.
	TLSCertFile, TLSKeyFile string
	// DataDir keeps sessions and queued messages across restarts. Empty
	// means in memory only.
	DataDir string

	// Stands looks up stand secrets. Required.
	Stands StandLookup
	// ServiceUser and ServiceSecretHash are the cloud's own identity.
	// Empty ServiceUser disables service logins.
	ServiceUser       string
	ServiceSecretHash string

	// MaxQueuedPerStand bounds the QoS 1 messages kept for one stand
	// (default 8192). Beyond it the broker drops new ones and logs it; the
	// cloud's outbox resends them after the stand catches up.
	MaxQueuedPerStand int
	// MaxQueuedService bounds the QoS 1 messages in flight to one of the
	// cloud's own sessions (default 65535, the most MQTT packet ids allow).
	// The cloud's session receives every stand's uplinks: when 4,000
	// stands reconnect at once (a hello, a presence and a status each),
	// a stand-sized quota drops them ("client store quota reached").
	MaxQueuedService int
	// SessionExpiry forgets a stand's session after this long offline
	// (default 30 days).
	SessionExpiry time.Duration
	// AuthTimeout bounds one StandLookup call (default 5 s).
	AuthTimeout time.Duration

	// MaxPacketSize bounds every packet a client sends, CONNECT included,
	// in bytes; a larger one closes the connection before its body is read
	// (default 16 KiB: the largest real message is about 1 KiB, and
	// mqtt.MaxPayload is the decoder's own bound).
	MaxPacketSize int
	// MaxRetainedSize bounds the payload of a retained message, a retained
	// will included (default 8 KiB). Only a stand's state and config topics
	// can hold one, so the retained store is at most two of these per stand.
	MaxRetainedSize int
	// ConnectTimeout is how long a new connection has to finish the TLS
	// handshake and send its CONNECT before it is closed (default 10 s).
	// After CONNECT the client's keepalive takes over.
	ConnectTimeout time.Duration
	// MaxPendingConnects bounds the connections, per listener, that have
	// not yet sent their CONNECT (default 1024); beyond it a new connection
	// is closed at once. mochi allocates about 64 KiB for every accepted
	// socket, so this and ConnectTimeout bound what unauthenticated
	// sockets cost (about 64 MiB at the default).
	MaxPendingConnects int

	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	if c.MaxQueuedPerStand == 0 {
		c.MaxQueuedPerStand = 8192
	}
	if c.MaxQueuedService == 0 {
		c.MaxQueuedService = 65535
	}
	if c.SessionExpiry == 0 {
		c.SessionExpiry = 30 * 24 * time.Hour
	}
	if c.AuthTimeout == 0 {
		c.AuthTimeout = 5 * time.Second
	}
	if c.MaxPacketSize == 0 {
		c.MaxPacketSize = DefaultMaxPacketSize
	}
	if c.MaxRetainedSize == 0 {
		c.MaxRetainedSize = min(DefaultMaxRetainedSize, c.MaxPacketSize)
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = 10 * time.Second
	}
	if c.MaxPendingConnects == 0 {
		c.MaxPendingConnects = 1024
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Defaults of the size limits; see Config.
const (
	DefaultMaxPacketSize   = 16 << 10
	DefaultMaxRetainedSize = 8 << 10
)

// Validate reports the first problem with c.
func (c *Config) Validate() error {
	plain := c.Addr != "" || c.Listener != nil
	tls := c.TLSAddr != "" || c.TLSListener != nil
	switch {
	case !plain && !tls:
		return errors.New("broker: a plain (Addr, Listener) or TLS (TLSAddr, TLSListener) listener is required")
	case c.Listener == nil && c.Addr != "" && !c.PlainPublic && !IsLoopback(c.Addr):
		return fmt.Errorf("broker: plain listener %q is not a loopback address: stand secrets would cross the network in clear; use the TLS listener, or set PlainPublic", c.Addr)
	case tls && (c.TLSCertFile == "" || c.TLSKeyFile == ""):
		return errors.New("broker: the TLS listener needs TLSCertFile and TLSKeyFile")
	case c.MaxPacketSize < 1024 || c.MaxPacketSize > 256<<20:
		return fmt.Errorf("broker: MaxPacketSize %d out of range 1 KiB..256 MiB", c.MaxPacketSize)
	case c.MaxRetainedSize < 0 || c.MaxRetainedSize > c.MaxPacketSize:
		return fmt.Errorf("broker: MaxRetainedSize %d out of range 0..MaxPacketSize", c.MaxRetainedSize)
	case c.ConnectTimeout < 0:
		return errors.New("broker: negative ConnectTimeout")
	case c.MaxPendingConnects < 0:
		return errors.New("broker: negative MaxPendingConnects")
	case c.Stands == nil:
		return errors.New("broker: Stands lookup is required")
	case c.ServiceUser != "" && c.ServiceSecretHash == "":
		return errors.New("broker: ServiceUser needs ServiceSecretHash")
	case c.MaxQueuedPerStand < 0 || c.MaxQueuedPerStand > 65535:
		return fmt.Errorf("broker: MaxQueuedPerStand %d out of range 1..65535", c.MaxQueuedPerStand)
	case c.MaxQueuedService < 0 || c.MaxQueuedService > 65535:
		return fmt.Errorf("broker: MaxQueuedService %d out of range 1..65535", c.MaxQueuedService)
	case c.SessionExpiry < 0:
		return errors.New("broker: negative SessionExpiry")
	}
	return nil
}

// IsLoopback reports whether the listen address addr (host:port) binds only
// to this machine: a loopback IP or "localhost". An empty host, 0.0.0.0 or
// :: listen on every interface.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
