// Package epd adapts periph.io e-paper drivers (periph.io/x/devices/v3
// v3.7.4) to display.Panel.
//
//   - Waveshare2in13v2: Waveshare 2.13" V2 HAT, 122×250, full and partial
//     refresh (SSD1675-class controller; datasheet
//     https://www.waveshare.com/wiki/2.13inch_e-Paper_HAT).
//   - Inky: Pimoroni Inky wHAT 400×300 (and pHAT), full refresh only
//     (https://github.com/pimoroni/inky).
//
// Constructors receive SPI ports and GPIO pins and never open hardware
// themselves: package display/epd/hw does the wiring on a Pi, tests pass
// periph's fakes (spitest, gpiotest).
//
// Known driver facts this package works around: waveshare2in13v2 refreshes
// once per Draw and wakes from deep sleep only through Init (a hardware
// reset); inky.New computes 0×0 bounds unless Opts.Width and Opts.Height
// are non-zero, and it puts the panel into deep sleep after every update by
// itself.
package epd
