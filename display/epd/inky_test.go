package epd

import (
	"image"
	"testing"

	"github.com/qrstand/qrstand/display"
)

func TestInkyNeedsSize(t *testing.T) {
	r := newRig()
	o := InkyWHAT()
	o.Width, o.Height = 0, 0
	if _, err := NewInky(r.port, r.dc, r.rst, r.busy, o); err == nil {
		t.Fatal("NewInky accepted zero Width/Height (inky.New would report 0×0 bounds)")
	}
}

func TestInkyWHATDrawWritesFrame(t *testing.T) {
	r := newRig()
	k, err := NewInky(r.port, r.dc, r.rst, r.busy, InkyWHAT())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := k.Bounds(), image.Rect(0, 0, 400, 300); got != want {
		t.Fatalf("Bounds = %v, want %v", got, want)
	}
	if k.CanPartial() {
		t.Error("Inky claims partial refresh")
	}
	d, err := display.New(k, display.Config{})
	if err != nil {
		t.Fatal(err)
	}
	frame, err := display.Compose(shop, display.Status{Network: display.NetOnline}, display.Options{Size: d.Size()})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Show(frame); err != nil {
		t.Fatal(err)
	}
	var black []byte
	sawSleep := false
	for _, c := range r.commands(t, 0) {
		switch c.c {
		case 0x24:
			black = c.data
		case 0x10:
			sawSleep = len(c.data) == 1 && c.data[0] == 0x01
		}
	}
	if len(black) != 400*300/8 {
		t.Fatalf("0x24 carried %d bytes, want %d", len(black), 400*300/8)
	}
	bad := 0
	for y := range 300 {
		for x := range 400 {
			i := y*400 + x
			white := black[i/8]&(0x80>>(i%8)) != 0
			if white != bool(frame.BitAt(x, y)) {
				bad++
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d pixels of the 0x24 write differ from the frame", bad)
	}
	if !sawSleep {
		t.Error("no deep-sleep command after the update")
	}
	r.busy.mu.Lock()
	waits := r.busy.Waits
	r.busy.mu.Unlock()
	if waits == 0 {
		t.Error("inky never waited on BUSY")
	}
	// A second identical frame must not touch the panel.
	n := r.ops()
	if err := d.Show(frame); err != nil {
		t.Fatal(err)
	}
	if r.ops() != n {
		t.Errorf("unchanged frame sent %d SPI operations", r.ops()-n)
	}
}
