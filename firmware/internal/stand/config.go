package stand

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/qrstand/qrstand/firmware/internal/clock"
	"github.com/qrstand/qrstand/firmware/internal/face"
	"github.com/qrstand/qrstand/firmware/internal/journal"
	"github.com/qrstand/qrstand/firmware/internal/outputs"
	"github.com/qrstand/qrstand/firmware/internal/power"
	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/standclient"
	"github.com/qrstand/qrstand/printer"
)

// Uplink is the stand's side of the wire; *standclient.Client is one.
type Uplink interface {
	Handle(k mqtt.Kind, h standclient.HandlerFunc)
	OnConnect(f func(ctx context.Context))
	OnConnectionLost(f func(err error))
	Publish(ctx context.Context, body mqtt.Body) (mqtt.Message, error)
	Run(ctx context.Context) error
	Connected() bool
}

// Point names a crash point in the pipeline.
type Point string

// Crash points, in pipeline order.
const (
	AfterJournal  Point = "after-journal"  // inserted (and about to be acked), nothing else
	AfterAnnounce Point = "after-announce" // spoken, still new
	AfterPrint    Point = "after-print"    // on paper, still printing
)

// ErrCrash is what a hook returns to stop the stand dead at its point.
var ErrCrash = errors.New("stand: simulated crash")

// Config is a stand's behaviour. The zero value of each field is the
// documented default.
type Config struct {
	DeviceID string // required
	Firmware string // version reported in hello and status; default "dev"
	Model    string // hardware profile name
	Panel    string // panel model, for pair.request
	// Profile lays out receipts; default printer.Profile58().
	Profile printer.Profile
	// CatchUpSettle closes a catch-up batch when no stale payment came for
	// this long; default 3 s.
	CatchUpSettle time.Duration
	// StatusEvery is the periodic status interval; default 10 min.
	StatusEvery time.Duration
	// PollEvery is how often the battery is read and, while unpaired, the
	// pairing request retried; default 15 s (battery policy: 60 s). The
	// connection and the paper are not polled: their changes are events
	// (see monitor).
	PollEvery time.Duration
	// PrintRetry is the delay before a failed print is tried again;
	// default 30 s.
	PrintRetry time.Duration
	// Reboot is called (after the command is acked) for stand.command
	// reboot; nil refuses the command.
	Reboot func() error
	// Update is called (after the command is journaled and acked) for
	// stand.command update; it must not block (package update queues the
	// download). nil refuses the command.
	Update func(*mqtt.FirmwareUpdate)
	// Hook, if set, is called at each crash point with the ids concerned;
	// returning an error (ErrCrash) stops the pipeline at once: nothing more
	// is announced, printed or written, and Run returns the error.
	Hook func(p Point, ids []string) error
	// Clock tells the time for everything the stand dates or measures:
	// event ages, quiet hours, receipts, settling, uptime; default
	// clock.Real.
	Clock clock.Clock
	Log   *slog.Logger
}

func (c *Config) setDefaults() {
	if c.Firmware == "" {
		c.Firmware = "dev"
	}
	if c.Profile.Dots == 0 {
		c.Profile = printer.Profile58()
	}
	if c.CatchUpSettle == 0 {
		c.CatchUpSettle = 3 * time.Second
	}
	if c.StatusEvery == 0 {
		c.StatusEvery = 10 * time.Minute
	}
	if c.PollEvery == 0 {
		c.PollEvery = 15 * time.Second
	}
	if c.PrintRetry == 0 {
		c.PrintRetry = 30 * time.Second
	}
	if c.Clock == nil {
		c.Clock = clock.Real{}
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
}

// Validate reports the first problem with c (after defaults).
func (c Config) Validate() error {
	c.setDefaults()
	switch {
	case !mqtt.ValidDeviceID(c.DeviceID):
		return fmt.Errorf("stand: invalid device id %q", c.DeviceID)
	case c.CatchUpSettle < 0 || c.StatusEvery < 0 || c.PollEvery < 0 || c.PrintRetry < 0:
		return fmt.Errorf("stand: durations must be >= 0")
	}
	if err := c.Profile.Validate(); err != nil {
		return fmt.Errorf("stand: %w", err)
	}
	return nil
}

// Deps are the parts a stand drives. Journal, Uplink, Face, Printer and
// Announcer are required; Battery is optional.
type Deps struct {
	Journal   *journal.Journal
	Uplink    Uplink
	Face      *face.Face
	Printer   outputs.Printer
	Announcer outputs.Announcer
	Battery   BatterySource
}

// BatterySource reports the battery; *power.Monitor is one.
type BatterySource interface {
	Read() (power.Battery, error)
}
