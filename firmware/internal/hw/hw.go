// Package hw opens the stand's own hardware on a Raspberry Pi through
// periph.io: host.Init, the I²C bus of the INA219 and the button pins (the
// panel is opened by display/epd/hw, the printer by package printer). It is
// the only firmware package that opens hardware; everything it returns is an
// interface the rest of the firmware also gets from fakes in tests.
//
// Buttons default to GPIO5, GPIO6, GPIO13 and GPIO19 (BCM), free on both
// panel HATs (Waveshare: GPIO8/10/11/17/24/25; Inky: GPIO8/10/11/17/22/27).
package hw

import (
	"fmt"
	"sync"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2creg"
	"periph.io/x/host/v3"
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
