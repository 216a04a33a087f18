package epd

import (
	"testing"

	"github.com/qrstand/qrstand/display"
)

// BenchmarkWaveshareSPIBytes reports the SPI bytes one refresh sends
// (spi-bytes/op), commands and parameters included, and the host time it
// takes with an instant BUSY pin (ns/op: our side only; the glass takes
// about 2 s full, 0.3 s partial).
func BenchmarkWaveshareSPIBytes(b *testing.B) {
	store, flash := frames(b)
	area := diffRect(store, flash)
	for _, bc := range []struct {
		name string
		mode display.Mode
	}{{"full", display.Full}, {"partial_flash", display.Partial}} {
		b.Run(bc.name, func(b *testing.B) {
			w, r := newWaveshare(b)
			if err := w.Refresh(store, store.Bounds(), display.Full); err != nil {
				b.Fatal(err)
			}
			from := r.ops()
			for i := 0; b.Loop(); i++ {
				f := flash
				if i%2 == 1 {
					f = store
				}
				a := area
				if bc.mode == display.Full {
					a = f.Bounds()
				}
				if err := w.Refresh(f, a, bc.mode); err != nil {
					b.Fatal(err)
				}
				if i == 0 {
					b.ReportMetric(float64(r.bytesFrom(from)), "spi-bytes/op")
				}
			}
		})
	}
}

// BenchmarkInkySPIBytes: the Inky wHAT redraws all 400×300 pixels, two
// planes, every time.
func BenchmarkInkySPIBytes(b *testing.B) {
	r := newRig()
	k, err := NewInky(r.port, r.dc, r.rst, r.busy, InkyWHAT())
	if err != nil {
		b.Fatal(err)
	}
	frame, err := display.Compose(shop, display.Status{}, display.Options{Size: display.Size400x300})
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; b.Loop(); i++ {
		from := r.ops()
		if err := k.Refresh(frame, frame.Bounds(), display.Full); err != nil {
			b.Fatal(err)
		}
		if i == 0 {
			b.ReportMetric(float64(r.bytesFrom(from)), "spi-bytes/op")
		}
	}
}
