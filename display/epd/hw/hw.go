// Package hw wires the panels of package epd to a Raspberry Pi's SPI bus and
// GPIO pins through periph.io/x/host/v3. It is the only code in display/
// that opens real hardware; everything else receives ports and pins.
//
// Default pins (BCM numbering) are those of the HATs: Waveshare DC=GPIO25,
// RST=GPIO17, BUSY=GPIO24; Pimoroni Inky DC=GPIO22, RST=GPIO27,
// BUSY=GPIO17. Both use SPI0.0 with the kernel's spidev driving CE0, so the
// Waveshare CS is a no-op pin (passing GPIO8 as CS fails with "GPIO busy"
// while spidev owns it). Enable SPI with dtparam=spi=on in
// /boot/config.txt (/boot/firmware/config.txt on newer images).
package hw

import (
	"fmt"

	"github.com/qrstand/qrstand/display/epd"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/pin"
	"periph.io/x/conn/v3/spi"
	"periph.io/x/conn/v3/spi/spireg"
	"periph.io/x/host/v3"
)

// Wiring names the bus and pins; zero fields take the HAT defaults.
type Wiring struct {
	SPI  string // default "SPI0.0"
	DC   string // Waveshare default "GPIO25"; Inky "GPIO22"
	RST  string // Waveshare default "GPIO17"; Inky "GPIO27"
	BUSY string // Waveshare default "GPIO24"; Inky "GPIO17"
}

// Panel is an opened panel with the port to close when done.
type Panel[P any] struct {
	Panel P
	port  spi.PortCloser
}

// Close releases the SPI port.
func (p *Panel[P]) Close() error { return p.port.Close() }

// OpenWaveshare2in13v2 initialises periph's host drivers and opens a
// Waveshare 2.13" V2 HAT.
func OpenWaveshare2in13v2(w Wiring) (*Panel[*epd.Waveshare2in13v2], error) {
	w = defaults(w, "GPIO25", "GPIO17", "GPIO24")
	port, dc, rst, busy, err := open(w)
	if err != nil {
		return nil, err
	}
	dev, err := epd.NewWaveshare2in13v2(port, dc, noCS{}, rst, busy)
	if err != nil {
		port.Close()
		return nil, err
	}
	return &Panel[*epd.Waveshare2in13v2]{Panel: dev, port: port}, nil
}

// OpenInkyWHAT opens a black/white Inky wHAT (400×300).
func OpenInkyWHAT(w Wiring) (*Panel[*epd.Inky], error) {
	w = defaults(w, "GPIO22", "GPIO27", "GPIO17")
	port, dc, rst, busy, err := open(w)
	if err != nil {
		return nil, err
	}
	dev, err := epd.NewInky(port, dc, rst, busy, epd.InkyWHAT())
	if err != nil {
		port.Close()
		return nil, err
	}
	return &Panel[*epd.Inky]{Panel: dev, port: port}, nil
}

func defaults(w Wiring, dc, rst, busy string) Wiring {
	if w.SPI == "" {
		w.SPI = "SPI0.0"
	}
	if w.DC == "" {
		w.DC = dc
	}
	if w.RST == "" {
		w.RST = rst
	}
	if w.BUSY == "" {
		w.BUSY = busy
	}
	return w
}

func open(w Wiring) (spi.PortCloser, gpio.PinIO, gpio.PinIO, gpio.PinIO, error) {
	if _, err := host.Init(); err != nil {
		return nil, nil, nil, nil, fmt.Errorf("hw: periph host init: %w", err)
	}
	pins := make([]gpio.PinIO, 3)
	for i, name := range []string{w.DC, w.RST, w.BUSY} {
		if pins[i] = gpioreg.ByName(name); pins[i] == nil {
			return nil, nil, nil, nil, fmt.Errorf("hw: no GPIO pin %q", name)
		}
	}
	port, err := spireg.Open(w.SPI)
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("hw: open %s (is dtparam=spi=on set?): %w", w.SPI, err)
	}
	return port, pins[0], pins[1], pins[2], nil
}

// noCS is a chip-select pin that does nothing, for when spidev drives CE0.
type noCS struct{}

func (noCS) String() string                        { return "noCS" }
func (noCS) Halt() error                           { return nil }
func (noCS) Name() string                          { return "noCS" }
func (noCS) Number() int                           { return -1 }
func (noCS) Function() string                      { return "" }
func (noCS) Func() pin.Func                        { return pin.FuncNone }
func (noCS) SupportedFuncs() []pin.Func            { return nil }
func (noCS) SetFunc(pin.Func) error                { return nil }
func (noCS) Out(gpio.Level) error                  { return nil }
func (noCS) PWM(gpio.Duty, physic.Frequency) error { return fmt.Errorf("hw: noCS has no PWM") }

var _ gpio.PinOut = noCS{}
