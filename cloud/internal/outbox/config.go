package outbox

import (
	"errors"
	"log/slog"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/nodelink"
)

// Config configures a Dispatcher.
type Config struct {
	// Link is the node's MQTT client: the dispatcher publishes through it
	// and receives acks, hellos and presence from it. Required.
	Link *nodelink.Link
	// Senders bounds the stands sent to at once (default 8): a burst to
	// many stands goes out in parallel, each stand's rows in seq order.
	Senders int
	// MaxInFlight bounds the rows sent to one stand and not yet acked
	// (default 256: a window of 32 halved a 300-payment burst to one stand
	// in BenchmarkPaidToAck); the next ones go out as those are acked (or
	// come due again after their backoff).
	MaxInFlight int
	// HelloGrace, when positive, answers a stand that came online (a live
	// presence) but whose hello this node has not seen within HelloGrace as
	// if it had said hello: a sync and its pending rows. Use it only where
	// this node sees every uplink (no shared subscription); with shared
	// subscriptions another node may have answered the hello.
	HelloGrace time.Duration
	// UplinkWorkers and UplinkQueue size the queue of acks, hellos and
	// presence (defaults 4 workers, 4096 each): see nodelink.Queue.
	UplinkWorkers, UplinkQueue int
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
	if c.Senders == 0 {
		c.Senders = 8
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = 256
	}
	if c.UplinkWorkers == 0 {
		c.UplinkWorkers = 4
	}
	if c.UplinkQueue == 0 {
		c.UplinkQueue = 4096
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
	case c.Link == nil:
		return errors.New("outbox: Link is required")
	case c.Senders < 0 || c.MaxInFlight < 0 || c.HelloGrace < 0 || c.UplinkWorkers < 0 || c.UplinkQueue < 0:
		return errors.New("outbox: Senders, MaxInFlight, HelloGrace and the uplink queue sizes must be positive")
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
