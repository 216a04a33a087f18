package epd

import (
	"fmt"
	"image"

	"github.com/qrstand/qrstand/display"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/spi"
	"periph.io/x/devices/v3/inky"
	"periph.io/x/devices/v3/ssd1306/image1bit"
)

// Inky is a Pimoroni Inky panel driven in black and white. It refreshes
// fully on every frame and sleeps by itself after each update.
type Inky struct {
	dev *inky.Dev
}

var _ display.Panel = (*Inky)(nil)

// InkyWHAT returns the options of a black/white/red Inky wHAT, 400×300.
// Width and Height are set on purpose: inky.New computes 0×0 bounds when
// they are zero.
func InkyWHAT() inky.Opts {
	return inky.Opts{
		Width:       400,
		Height:      300,
		Model:       inky.WHAT,
		ModelColor:  inky.Black,
		BorderColor: inky.White,
	}
}

// NewInky opens an Inky on port p. o.Width and o.Height must be non-zero.
func NewInky(p spi.Port, dc, rst gpio.PinOut, busy gpio.PinIn, o inky.Opts) (*Inky, error) {
	if o.Width == 0 || o.Height == 0 {
		return nil, fmt.Errorf("epd: inky needs non-zero Width and Height (got %d×%d)", o.Width, o.Height)
	}
	dev, err := inky.New(p, dc, rst, busy, &o)
	if err != nil {
		return nil, fmt.Errorf("epd: inky: %w", err)
	}
	if dev.Bounds().Empty() {
		return nil, fmt.Errorf("epd: inky reports empty bounds %v", dev.Bounds())
	}
	return &Inky{dev: dev}, nil
}

// Bounds implements display.Panel.
func (k *Inky) Bounds() image.Rectangle { return k.dev.Bounds() }

// CanPartial implements display.Panel: Inky panels refresh fully.
func (k *Inky) CanPartial() bool { return false }

// Refresh implements display.Panel; area and mode are ignored.
func (k *Inky) Refresh(frame *image1bit.VerticalLSB, _ image.Rectangle, _ display.Mode) error {
	if frame.Bounds() != k.Bounds() {
		return fmt.Errorf("epd: frame %v, panel %v", frame.Bounds(), k.Bounds())
	}
	if err := k.dev.Draw(k.Bounds(), frame, image.Point{}); err != nil {
		return fmt.Errorf("epd: inky draw: %w", err)
	}
	return nil
}

// Sleep implements display.Panel. The driver already ends every update
// with the deep-sleep command, so there is nothing left to do.
func (k *Inky) Sleep() error { return nil }
