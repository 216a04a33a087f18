// Package hw opens the stand's real hardware on a Raspberry Pi through
// periph.io: host.Init, then the SPI port and GPIO pins of the e-ink panel,
// the I²C bus of the INA219, and the button pins. It is the only package
// that opens hardware; everything it returns is an interface the rest of
// the firmware also gets from fakes in tests.
//
// Pins (BCM numbering) are those of the HATs: Waveshare 2.13" V2 — DC
// GPIO25, RST GPIO17, BUSY GPIO24, CS CE0 (driven by spidev); Pimoroni
// Inky wHAT — DC GPIO22, RST GPIO27, BUSY GPIO17. Buttons default to GPIO5,
// GPIO6, GPIO13 and GPIO19, free on both HATs.
package hw

import (
	"fmt"
	"sync"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2creg"
	"periph.io/x/conn/v3/spi/spireg"
	"periph.io/x/host/v3"

	"github.com/qrstand/qrstand/display"
	"github.com/qrstand/qrstand/display/epd"
)

var initOnce = sync.OnceValue(func() error {
	if _, err := host.Init(); err != nil {
		return fmt.Errorf("hw: periph host init: %w", err)
	}
	return nil
})

// Init loads periph's host drivers (once).
func Init() error { return initOnce() }

// Pin returns the GPIO pin called name (e.g. "GPIO5").
func Pin(name string) (gpio.PinIO, error) {
	if err := Init(); err != nil {
		return nil, err
	}
	p := gpioreg.ByName(name)
	if p == nil {
		return nil, fmt.Errorf("hw: no GPIO pin %q", name)
	}
	return p, nil
}

// OpenPanel opens the e-ink panel kind ("waveshare2in13v2" or "inky-what")
// on SPI port spiPort ("" = the first). close releases the port.
func OpenPanel(kind, spiPort string) (p display.Panel, close func() error, err error) {
	if err := Init(); err != nil {
		return nil, nil, err
	}
	port, err := spireg.Open(spiPort)
	if err != nil {
		return nil, nil, fmt.Errorf("hw: spi %q: %w", spiPort, err)
	}
	pins := func(names ...string) ([]gpio.PinIO, error) {
		var out []gpio.PinIO
		for _, n := range names {
			pin, err := Pin(n)
			if err != nil {
				return nil, err
			}
			out = append(out, pin)
		}
		return out, nil
	}
	var panel display.Panel
	switch kind {
	case "waveshare2in13v2":
		ps, perr := pins("GPIO25", "GPIO17", "GPIO24")
		if perr != nil {
			port.Close()
			return nil, nil, perr
		}
		panel, err = epd.NewWaveshare2in13v2(port, ps[0], gpio.INVALID, ps[1], ps[2])
	case "inky-what":
		ps, perr := pins("GPIO22", "GPIO27", "GPIO17")
		if perr != nil {
			port.Close()
			return nil, nil, perr
		}
		panel, err = epd.NewInky(port, ps[0], ps[1], ps[2], epd.InkyWHAT())
	default:
		err = fmt.Errorf("hw: unknown panel %q", kind)
	}
	if err != nil {
		port.Close()
		return nil, nil, err
	}
	return panel, port.Close, nil
}

// OpenI2C opens I²C bus name ("" = the first).
func OpenI2C(name string) (i2c.BusCloser, error) {
	if err := Init(); err != nil {
		return nil, err
	}
	b, err := i2creg.Open(name)
	if err != nil {
		return nil, fmt.Errorf("hw: i2c %q: %w", name, err)
	}
	return b, nil
}
