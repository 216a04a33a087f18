package epd

import (
	"fmt"
	"image"

	"github.com/qrstand/qrstand/display"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/spi"
	"periph.io/x/devices/v3/ssd1306/image1bit"
	"periph.io/x/devices/v3/waveshare2in13v2"
)

// Waveshare2in13v2 is a Waveshare 2.13" V2 panel (122×250 native,
// portrait; use display.Rot90 for a landscape stand).
type Waveshare2in13v2 struct {
	dev    *waveshare2in13v2.Dev
	mode   display.Mode
	asleep bool
}

var _ display.Panel = (*Waveshare2in13v2)(nil)

// NewWaveshare2in13v2 initialises the panel on port p with the given pins.
// cs may be gpio.INVALID-like no-op pin when the kernel's spidev drives
// chip select (it usually does; passing GPIO8 then fails with "GPIO busy").
func NewWaveshare2in13v2(p spi.Port, dc, cs, rst gpio.PinOut, busy gpio.PinIn) (*Waveshare2in13v2, error) {
	opts := waveshare2in13v2.EPD2in13v2 // copy: we never mutate the package's
	opts.Origin = waveshare2in13v2.TopLeft
	dev, err := waveshare2in13v2.New(p, dc, cs, rst, busy, &opts)
	if err != nil {
		return nil, fmt.Errorf("epd: waveshare2in13v2: %w", err)
	}
	w := &Waveshare2in13v2{dev: dev, mode: display.Full}
	if err := dev.Init(); err != nil {
		return nil, fmt.Errorf("epd: waveshare2in13v2 init: %w", err)
	}
	return w, nil
}

// Bounds implements display.Panel.
func (w *Waveshare2in13v2) Bounds() image.Rectangle { return w.dev.Bounds() }

// CanPartial implements display.Panel.
func (w *Waveshare2in13v2) CanPartial() bool { return true }

// Refresh implements display.Panel. A Partial refresh uploads only area
// (widened by the driver to whole bytes along the panel's 122-pixel axis).
func (w *Waveshare2in13v2) Refresh(frame *image1bit.VerticalLSB, area image.Rectangle, mode display.Mode) error {
	if frame.Bounds() != w.Bounds() {
		return fmt.Errorf("epd: frame %v, panel %v", frame.Bounds(), w.Bounds())
	}
	if w.asleep {
		// Deep sleep is left only through a hardware reset; Init re-sends
		// the configuration for the current mode. RAM survives sleep.
		if err := w.dev.Init(); err != nil {
			return fmt.Errorf("epd: wake: %w", err)
		}
		w.asleep = false
	}
	if mode != w.mode {
		m := waveshare2in13v2.Full
		if mode == display.Partial {
			m = waveshare2in13v2.Partial
		}
		if err := w.dev.SetUpdateMode(m); err != nil {
			return fmt.Errorf("epd: set %s mode: %w", mode, err)
		}
		w.mode = mode
	}
	if mode == display.Full {
		area = w.Bounds()
	}
	if err := w.dev.Draw(area, frame, area.Min); err != nil {
		return fmt.Errorf("epd: draw: %w", err)
	}
	return nil
}

// Sleep implements display.Panel: deep sleep mode 1 (RAM kept).
func (w *Waveshare2in13v2) Sleep() error {
	if w.asleep {
		return nil
	}
	if err := w.dev.Sleep(); err != nil {
		return fmt.Errorf("epd: sleep: %w", err)
	}
	w.asleep = true
	return nil
}
