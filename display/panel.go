package display

import (
	"image"

	"periph.io/x/devices/v3/ssd1306/image1bit"
)

// Mode is how a panel refreshes.
type Mode int

// Refresh modes.
const (
	// Full drives every pixel through the full waveform: slow (about 2 s on
	// a 2.13" panel), flashes, and clears ghosting.
	Full Mode = iota
	// Partial drives only changed pixels: fast and calm, but leaves a faint
	// ghost that builds up until the next Full refresh.
	Partial
)

func (m Mode) String() string {
	if m == Partial {
		return "partial"
	}
	return "full"
}

// Panel is an e-ink panel as Display drives it. Implementations: package
// display/epd (periph.io drivers) and display/sim (PNG files).
type Panel interface {
	// Bounds is the panel's native pixel area, before any Rotation.
	Bounds() image.Rectangle
	// CanPartial reports whether Refresh honours Partial.
	CanPartial() bool
	// Refresh shows frame (of Bounds' size). In Partial mode only area, the
	// part that changed, needs to be sent; panels without partial refresh
	// treat every call as Full.
	Refresh(frame *image1bit.VerticalLSB, area image.Rectangle, mode Mode) error
	// Sleep puts the panel into its lowest-power state until the next
	// Refresh; the image stays on the glass.
	Sleep() error
}
