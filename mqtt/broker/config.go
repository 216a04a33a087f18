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
	// Addr is the TCP address to listen on, e.g. "127.0.0.1:1884".
	// Ignored when Listener is set.
	Addr string
	// Listener, if set, is used instead of listening on Addr (tests pass a
	// listener on 127.0.0.1:0 to learn the port).
	Listener net.Listener
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
	// SessionExpiry forgets a stand's session after this long offline
	// (default 30 days).
	SessionExpiry time.Duration
	// AuthTimeout bounds one StandLookup call (default 5 s).
	AuthTimeout time.Duration

	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	if c.MaxQueuedPerStand == 0 {
		c.MaxQueuedPerStand = 8192
	}
	if c.SessionExpiry == 0 {
		c.SessionExpiry = 30 * 24 * time.Hour
	}
	if c.AuthTimeout == 0 {
		c.AuthTimeout = 5 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Validate reports the first problem with c.
func (c *Config) Validate() error {
	switch {
	case c.Addr == "" && c.Listener == nil:
		return errors.New("broker: Addr or Listener is required")
	case c.Stands == nil:
		return errors.New("broker: Stands lookup is required")
	case c.ServiceUser != "" && c.ServiceSecretHash == "":
		return errors.New("broker: ServiceUser needs ServiceSecretHash")
	case c.MaxQueuedPerStand < 0 || c.MaxQueuedPerStand > 65535:
		return fmt.Errorf("broker: MaxQueuedPerStand %d out of range 1..65535", c.MaxQueuedPerStand)
	case c.SessionExpiry < 0:
		return errors.New("broker: negative SessionExpiry")
	}
	return nil
}
