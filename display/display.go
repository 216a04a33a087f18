package display

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"math/bits"
	"sync"
	"time"

	"periph.io/x/devices/v3/ssd1306/image1bit"
)

// Config configures a Display. The zero value is usable: defaults below.
type Config struct {
	// Rotation of composed frames relative to the panel; default Rot0.
	Rotation Rotation
	// MaxPartials is how many partial refreshes may follow a full one
	// before the next change is drawn with a full refresh to clear
	// ghosting; default 20.
	MaxPartials int
	// FullEvery forces a full refresh when the last one is older than
	// this, at the next change or Maintain call; default 6h (the panel
	// makers ask for at least one full refresh a day).
	FullEvery time.Duration
	// PartialArea is the largest changed fraction (in percent of the
	// frame) still drawn partially; bigger changes get a full refresh
	// because partial waveforms ghost more on large areas; default 50.
	PartialArea int
	// NoSleep keeps the panel awake between refreshes (tests, or a panel
	// on mains that redraws every few seconds); default false: sleep.
	NoSleep bool
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Log receives one line per refresh; default slog.Default().
	Log *slog.Logger
}

// Validate reports whether c's fields are in range.
func (c Config) Validate() error {
	if err := c.Rotation.Validate(); err != nil {
		return err
	}
	if c.MaxPartials < 0 || c.FullEvery < 0 || c.PartialArea < 0 || c.PartialArea > 100 {
		return errors.New("display: negative or out-of-range Config field")
	}
	return nil
}

// DefaultConfig holds the values New uses for Config fields left zero (Log
// left nil is slog.Default() at New).
var DefaultConfig = Config{MaxPartials: 20, FullEvery: 6 * time.Hour, PartialArea: 50, Now: time.Now}

// withDefaults returns c with its zero fields taken from DefaultConfig.
func (c Config) withDefaults() Config {
	d := DefaultConfig
	if c.MaxPartials == 0 {
		c.MaxPartials = d.MaxPartials
	}
	if c.FullEvery == 0 {
		c.FullEvery = d.FullEvery
	}
	if c.PartialArea == 0 {
		c.PartialArea = d.PartialArea
	}
	if c.Now == nil {
		c.Now = d.Now
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	return c
}

// Stats counts what a Display did.
type Stats struct {
	Full      int // full refreshes
	Partial   int // partial refreshes
	Unchanged int // Show calls skipped because the frame was already shown
}

// Display puts frames on a Panel: it rotates them, skips frames already
// shown, chooses full or partial refresh, and sleeps the panel between
// updates. It is safe for concurrent use.
type Display struct {
	p   Panel
	cfg Config

	mu          sync.Mutex
	last        *image1bit.VerticalLSB // native orientation; nil before the first refresh
	lastFull    time.Time
	sinceFull   int
	stats       Stats
	needsRedraw bool // last refresh failed: redraw fully even if unchanged
}

// New returns a Display driving p.
func New(p Panel, cfg Config) (*Display, error) {
	if p == nil {
		return nil, errors.New("display: nil panel")
	}
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Display{p: p, cfg: cfg}, nil
}

// Size is the frame size to Compose for this display (the panel's size
// after rotation).
func (d *Display) Size() image.Point {
	return d.cfg.Rotation.Apply(d.p.Bounds().Size())
}

// Stats returns the refresh counters.
func (d *Display) Stats() Stats {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.stats
}

// Show puts frame (of Size()) on the panel unless it is already there.
func (d *Display) Show(frame *image1bit.VerticalLSB) error {
	if frame.Bounds().Size() != d.Size() {
		return fmt.Errorf("display: frame is %v, panel wants %v", frame.Bounds().Size(), d.Size())
	}
	native := Rotate(frame, d.cfg.Rotation)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.last != nil && !d.needsRedraw && bytes.Equal(d.last.Pix, native.Pix) {
		d.stats.Unchanged++
		return nil
	}
	area := native.Bounds()
	if d.last != nil {
		area = changed(d.last, native)
	}
	return d.refresh(native, area, d.mode(area))
}

// Maintain redraws the current frame with a full refresh if partial
// refreshes happened since the last full one and it is older than
// FullEvery. Call it periodically (say every few minutes).
func (d *Display) Maintain() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.last == nil || d.sinceFull == 0 || d.cfg.Now().Sub(d.lastFull) < d.cfg.FullEvery {
		return nil
	}
	return d.refresh(d.last, d.last.Bounds(), Full)
}

// mode picks the refresh for a change of area.
func (d *Display) mode(area image.Rectangle) Mode {
	switch {
	case !d.p.CanPartial(), d.last == nil, d.needsRedraw,
		d.sinceFull >= d.cfg.MaxPartials,
		d.cfg.Now().Sub(d.lastFull) >= d.cfg.FullEvery,
		area.Dx()*area.Dy()*100 > d.last.Rect.Dx()*d.last.Rect.Dy()*d.cfg.PartialArea:
		return Full
	}
	return Partial
}

func (d *Display) refresh(native *image1bit.VerticalLSB, area image.Rectangle, mode Mode) error {
	if mode == Full {
		area = native.Bounds()
	}
	if err := d.p.Refresh(native, area, mode); err != nil {
		d.needsRedraw = true
		return fmt.Errorf("display: %s refresh: %w", mode, err)
	}
	d.last, d.needsRedraw = native, false
	if mode == Full {
		d.stats.Full++
		d.sinceFull = 0
		d.lastFull = d.cfg.Now()
	} else {
		d.stats.Partial++
		d.sinceFull++
	}
	d.cfg.Log.Debug("display refresh", "mode", mode.String(), "area", area.String())
	if !d.cfg.NoSleep {
		if err := d.p.Sleep(); err != nil {
			return fmt.Errorf("display: sleep: %w", err)
		}
	}
	return nil
}

// changed returns the smallest rectangle holding every pixel that differs
// between a and b (same bounds), empty if none.
func changed(a, b *image1bit.VerticalLSB) image.Rectangle {
	var r image.Rectangle
	// Pix is stored in 8-row bands, one byte per column per band.
	for i := range a.Pix {
		if a.Pix[i] == b.Pix[i] {
			continue
		}
		diff := a.Pix[i] ^ b.Pix[i]
		x := a.Rect.Min.X + i%a.Stride
		y := a.Rect.Min.Y&^7 + i/a.Stride*8
		y0 := y + bits.TrailingZeros8(diff)
		y1 := y + 8 - bits.LeadingZeros8(diff)
		px := image.Rect(x, y0, x+1, y1).Intersect(a.Rect)
		r = r.Union(px)
	}
	return r
}
