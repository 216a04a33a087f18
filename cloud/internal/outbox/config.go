package outbox

import (
	"errors"
	"log/slog"
	"time"

	"github.com/qrstand/qrstand/mqtt"
)

// Config configures a Dispatcher.
type Config struct {
	// Broker is the MQTT broker URL, e.g. "tcp://127.0.0.1:1884". Required.
	Broker string
	// User and Secret are the cloud's service identity. Required.
	User, Secret string
	// ClientID is the fixed MQTT client id (persistent session). It must be
	// User or start with User + "-". Default User + "-outbox".
	ClientID string
	// UpFilter is the uplink subscription. Default "qrs/v1/d/+/up"; with
	// several cloud nodes use "$share/outbox/qrs/v1/d/+/up".
	UpFilter string
	// StateFilter is the presence subscription. Default "qrs/v1/d/+/state".
	// Every node needs every stand's presence, so never share it.
	StateFilter string
	// StoreDir keeps the MQTT client's in-flight messages (mqtt/pahostore:
	// memory mirrored to files, never a panic on a full disk). Empty means
	// paho's memory store; prefer a directory: with the memory store paho
	// v1.5.1's resume after a reconnect marks the very packet object its
	// writer may be sending (a data race the race detector reports).
	StoreDir string
	// Interval is how often due rows are looked for. Default 500 ms.
	Interval time.Duration
	// Batch bounds the rows claimed per pass. Default 100.
	Batch int
	// MinBackoff and MaxBackoff bound the wait before a row is sent again
	// (doubling per attempt). Defaults 2 s and 2 min.
	MinBackoff, MaxBackoff time.Duration
	// ResendWindow bounds what a stand that lost events gets again: rows
	// created within it. Older ones were announced and printed long ago;
	// a 补打 list of them would be noise. Default 24 h.
	ResendWindow time.Duration
	// Templates sends staff template messages; nil leaves template rows
	// pending.
	Templates TemplateSender
	// TemplateAttempts is how often a template message is tried before it is
	// marked failed. Default 20.
	TemplateAttempts int
	Log              *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

func (c *Config) applyDefaults() {
	if c.ClientID == "" {
		c.ClientID = c.User + "-outbox"
	}
	if c.StateFilter == "" {
		c.StateFilter = mqtt.TopicPrefix + "+/" + string(mqtt.ChannelState)
	}
	if c.UpFilter == "" {
		c.UpFilter = mqtt.TopicPrefix + "+/" + string(mqtt.ChannelUp)
	}
	if c.Interval == 0 {
		c.Interval = 500 * time.Millisecond
	}
	if c.Batch == 0 {
		c.Batch = 100
	}
	if c.MinBackoff == 0 {
		c.MinBackoff = 2 * time.Second
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = 2 * time.Minute
	}
	if c.ResendWindow == 0 {
		c.ResendWindow = 24 * time.Hour
	}
	if c.TemplateAttempts == 0 {
		c.TemplateAttempts = 20
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Validate reports the first problem with c (after defaults).
func (c *Config) Validate() error {
	switch {
	case c.Broker == "" || c.User == "" || c.Secret == "":
		return errors.New("outbox: Broker, User and Secret are required")
	case c.Interval <= 0 || c.Batch <= 0 || c.MinBackoff <= 0 || c.MaxBackoff < c.MinBackoff:
		return errors.New("outbox: Interval, Batch and backoffs must be positive, MaxBackoff >= MinBackoff")
	case c.ResendWindow < 0:
		return errors.New("outbox: ResendWindow must be positive")
	}
	return nil
}

// backoff is the wait after the n-th attempt: MinBackoff·2^(n−1), capped.
func (c *Config) backoff(n int) time.Duration {
	d := c.MinBackoff
	for i := 1; i < n && d < c.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, c.MaxBackoff)
}
