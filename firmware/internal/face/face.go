// Package face decides what the stand's e-ink screen shows and puts it on a
// display.Display: the store QR, the pairing QR, a payment flash for a few
// seconds, the offline and low-battery variants — always keeping the store
// QR when the stand has one, so customers can pay whatever else happens.
//
// Frames are composed by package display (see display/doc.go); this package
// only holds the stand's state and picks the screen. Redraws happen only on
// change (display.Display skips identical frames too).
package face

import (
	"fmt"
	"image"
	"log/slog"
	"sync"
	"time"

	"periph.io/x/devices/v3/ssd1306/image1bit"

	"github.com/qrstand/qrstand/display"
)

// Shower is the part of *display.Display a Face uses.
type Shower interface {
	Show(frame *image1bit.VerticalLSB) error
	Size() image.Point
}

// Opts configure a Face.
type Opts struct {
	// FlashFor is how long a payment flash stays; default 6 s.
	FlashFor time.Duration
	// Lang of the screen text; default zh-CN.
	Lang display.Lang
	Log  *slog.Logger
	// OnFrame, if set, is called with every frame shown (the sim page).
	OnFrame func(frame *image1bit.VerticalLSB)
}

// Face is the stand's screen state. Safe for concurrent use.
type Face struct {
	d       Shower
	o       Opts
	mu      sync.Mutex
	st      display.Status
	store   *display.Store
	pairing *display.Pairing
	low     bool
	flash   *display.Flash
	flashT  *time.Timer
	noFlash bool
	last    *image1bit.VerticalLSB
	closed  bool
}

// New returns a Face drawing on d. Nothing is drawn until the first change
// or Refresh.
func New(d Shower, o Opts) *Face {
	if o.FlashFor <= 0 {
		o.FlashFor = 6 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Face{d: d, o: o}
}

// screen picks what to show; f.mu is held.
func (f *Face) screen() display.Screen {
	switch {
	case f.flash != nil && f.store != nil:
		return *f.flash
	case f.store != nil && f.low:
		return display.LowBattery{Store: *f.store}
	case f.store != nil && f.st.Network == display.NetOffline:
		return display.Offline{Store: f.store}
	case f.store != nil:
		return *f.store
	case f.pairing != nil:
		return *f.pairing
	default:
		// Neither bound nor holding a pairing code: the cloud is not
		// (yet) answering. display has no "waiting for the cloud" screen,
		// so this is the offline one; pair.code arrives within a second
		// when the cloud is there.
		return display.Offline{}
	}
}

// draw composes and shows the current screen; f.mu is held.
func (f *Face) draw() error {
	if f.closed {
		return nil
	}
	frame, err := display.Compose(f.screen(), f.st, display.Options{Size: f.d.Size(), Lang: f.o.Lang})
	if err != nil {
		return fmt.Errorf("face: compose: %w", err)
	}
	if err := f.d.Show(frame); err != nil {
		return fmt.Errorf("face: show: %w", err)
	}
	f.last = frame
	if f.o.OnFrame != nil {
		f.o.OnFrame(frame)
	}
	return nil
}

func (f *Face) update(change func()) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	change()
	return f.draw()
}

// Refresh draws the current screen (used at start and by the refresh command).
func (f *Face) Refresh() error { return f.update(func() {}) }

// SetStore shows the store QR (nil: no store bound).
func (f *Face) SetStore(s *display.Store) error {
	return f.update(func() {
		f.store = s
		if s != nil {
			f.pairing = nil
		}
	})
}

// SetPairing shows the pairing QR and code (shown only while no store is bound).
func (f *Face) SetPairing(p *display.Pairing) error { return f.update(func() { f.pairing = p }) }

// SetNetwork updates the status bar's network state.
func (f *Face) SetNetwork(n display.Network) error {
	f.mu.Lock()
	same := f.st.Network == n
	f.mu.Unlock()
	if same {
		return nil
	}
	return f.update(func() { f.st.Network = n })
}

// SetBattery updates the battery icon and the low-battery banner.
func (f *Face) SetBattery(b display.Battery, low bool) error {
	f.mu.Lock()
	same := f.st.Battery == b && f.low == low
	f.mu.Unlock()
	if same {
		return nil
	}
	return f.update(func() { f.st.Battery, f.low = b, low })
}

// SetPaper updates the paper icon.
func (f *Face) SetPaper(p display.Paper) error {
	f.mu.Lock()
	same := f.st.Paper == p
	f.mu.Unlock()
	if same {
		return nil
	}
	return f.update(func() { f.st.Paper = p })
}

// SetFlashEnabled turns the payment flash on or off (the battery policy
// turns it off: two fewer refreshes per payment).
func (f *Face) SetFlashEnabled(on bool) {
	f.mu.Lock()
	f.noFlash = !on
	f.mu.Unlock()
}

// Flash shows a payment for FlashFor, then returns to the previous screen.
// Without a store, or with the flash disabled, it does nothing.
func (f *Face) Flash(fen int64, ch display.Channel, at time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.store == nil || f.noFlash || f.closed {
		return nil
	}
	f.flash = &display.Flash{Store: *f.store, Fen: fen, Channel: ch, At: at}
	if f.flashT != nil {
		f.flashT.Stop()
	}
	f.flashT = time.AfterFunc(f.o.FlashFor, f.endFlash)
	return f.draw()
}

func (f *Face) endFlash() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.flash == nil {
		return
	}
	f.flash = nil
	if err := f.draw(); err != nil {
		f.o.Log.Warn("face: end of flash", "err", err)
	}
}

// Maintain lets the display clear ghosting with a full refresh when it is
// due (display.Display.Maintain); other Showers need nothing.
func (f *Face) Maintain() error {
	if m, ok := f.d.(interface{ Maintain() error }); ok {
		return m.Maintain()
	}
	return nil
}

// Current returns the last frame shown (nil before the first).
func (f *Face) Current() *image1bit.VerticalLSB {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last
}

// Final draws the screen the stand leaves behind when it powers off: the
// store QR (or the pairing QR) without a flash, and then ignores every
// further change. E-ink keeps it without power, so customers can still pay.
func (f *Face) Final(st display.Status) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.flashT != nil {
		f.flashT.Stop()
	}
	f.flash, f.low = nil, false
	f.st = st
	err := f.draw()
	f.closed = true
	return err
}

// Close stops the flash timer.
func (f *Face) Close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.flashT != nil {
		f.flashT.Stop()
	}
	f.closed = true
}
