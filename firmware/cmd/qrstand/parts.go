package main

import (
	"context"
	"image"
	"os"
	"path/filepath"

	"periph.io/x/devices/v3/ssd1306/image1bit"

	"github.com/qrstand/qrstand/display"
	epdhw "github.com/qrstand/qrstand/display/epd/hw"
	"github.com/qrstand/qrstand/display/sim"
	"github.com/qrstand/qrstand/firmware/internal/config"
	"github.com/qrstand/qrstand/firmware/internal/outputs"
	"github.com/qrstand/qrstand/firmware/internal/speech"
	"github.com/qrstand/qrstand/printer"
)

func profile(c config.Config) printer.Profile {
	p, err := printer.ProfileByName(c.Hardware.PrinterProfile)
	if err != nil {
		return printer.Profile58() // Validate already refused other names
	}
	return p
}

// openPrinter returns the configured printer.
func openPrinter(c config.Config) (outputs.Printer, error) {
	switch c.Hardware.Printer {
	case "sim":
		return outputs.NewSimPrinter(filepath.Join(c.Sim.Dir, "receipts"), profile(c).Dots)
	case "usb", "serial", "tcp":
		h := c.Hardware
		return &outputs.TransportPrinter{SkipStatus: h.PrinterSkipStatus, Open: func(ctx context.Context) (printer.Transport, error) {
			switch h.Printer {
			case "usb":
				return printer.OpenUSB(h.PrinterDevice)
			case "serial":
				return printer.OpenSerial(printer.SerialConfig{Port: h.PrinterDevice, Baud: h.PrinterBaud})
			}
			return printer.DialTCP(ctx, h.PrinterAddr)
		}}, nil
	}
	return outputs.NoPrinter{}, nil
}

func rotation(deg int) display.Rotation {
	return map[int]display.Rotation{0: display.Rot0, 90: display.Rot90, 180: display.Rot180, 270: display.Rot270}[deg]
}

// openPanel returns the configured panel, the display config to drive it,
// and a close function.
func openPanel(c config.Config) (display.Panel, display.Config, func() error, error) {
	h := c.Hardware
	switch h.Panel {
	case "sim":
		size, partial := display.Size250x122, true
		if c.Hardware.Profile == "inky-what" {
			size, partial = display.Size400x300, false
		}
		p, err := sim.New(sim.Opts{Dir: filepath.Join(c.Sim.Dir, "frames"), Size: size, Partial: partial})
		return p, display.Config{}, func() error { return nil }, err
	case "waveshare2in13v2":
		p, err := epdhw.OpenWaveshare2in13v2(epdhw.Wiring{SPI: h.SPIPort})
		if err != nil {
			return nil, display.Config{}, nil, err
		}
		return p.Panel, display.Config{Rotation: rotation(h.Rotation)}, p.Close, nil
	case "inky-what":
		p, err := epdhw.OpenInkyWHAT(epdhw.Wiring{SPI: h.SPIPort})
		if err != nil {
			return nil, display.Config{}, nil, err
		}
		return p.Panel, display.Config{Rotation: rotation(h.Rotation)}, p.Close, nil
	}
	// "none": a headless stand (a printer-only install) draws into memory.
	p, err := nullPanel()
	return p, display.Config{}, func() error { return nil }, err
}

// openSpeaker returns the announcer: a Speaker on ALSA, or in sim mode one
// that writes text and WAV files (and plays them only with sim.play).
func openSpeaker(c config.Config) (outputs.Announcer, *speech.Pack, error) {
	pack, err := c.Speech.OpenPack()
	if err != nil {
		return nil, nil, err
	}
	var player speech.Player = speech.APlay{Device: c.Speech.Device}
	if c.Sim.Dir != "" && !c.Sim.Play {
		player = silent{}
	}
	sp, err := speech.NewSpeaker(speech.SpeakerOpts{Config: c.Speech, Pack: pack, Player: player})
	if err != nil {
		return nil, nil, err
	}
	if c.Sim.Dir != "" {
		a, err := outputs.NewSimAnnouncer(sp, filepath.Join(c.Sim.Dir, "announce"))
		return a, pack, err
	}
	return sp, pack, nil
}

// checkoutVoicePack is the pack when none is configured: the installed one,
// else the source tree's when run inside a checkout (found by walking up
// from the working folder), so `make run`, `go run … say` and the tests need
// no package installed. "" leaves the error to OpenPack.
func checkoutVoicePack() string {
	if _, err := os.Stat(speech.DefaultPackDir); err == nil {
		return ""
	}
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		p := filepath.Join(dir, filepath.FromSlash(speech.SourcePackDir))
		if _, err := os.Stat(filepath.Join(p, speech.ManifestFile)); err == nil {
			return p
		}
		up := filepath.Dir(dir)
		if up == dir {
			return ""
		}
		dir = up
	}
}

// silent is the simulator's player when sound is off: the WAV is on disk.
type silent struct{}

func (silent) Play(context.Context, []byte) error { return nil }

type memPanel struct{ size image.Point }

func nullPanel() (display.Panel, error) { return memPanel{display.Size250x122}, nil }

func (m memPanel) Bounds() image.Rectangle { return image.Rectangle{Max: m.size} }
func (memPanel) CanPartial() bool          { return true }
func (memPanel) Sleep() error              { return nil }
func (memPanel) Refresh(*image1bit.VerticalLSB, image.Rectangle, display.Mode) error {
	return nil
}
