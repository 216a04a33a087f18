package epd

import (
	"bytes"
	"image"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/qrstand/qrstand/display"
	"periph.io/x/devices/v3/ssd1306/image1bit"
	"periph.io/x/devices/v3/waveshare2in13v2"
)

var shop = display.Store{Name: "老王牛肉面馆", URL: "https://pay.qrstand.cn/s/7kQ2mX9pLw"}

// frames returns a store frame and a payment flash frame in the panel's
// native (portrait) orientation.
func frames(t testing.TB) (store, flash *image1bit.VerticalLSB) {
	st := display.Status{Battery: display.Battery{Present: true, Percent: 80}, Network: display.NetOnline}
	o := display.Options{Size: display.Size250x122}
	a, err := display.Compose(shop, st, o)
	if err != nil {
		t.Fatal(err)
	}
	b, err := display.Compose(display.Flash{Store: shop, Fen: 1250, At: time.Unix(1_800_000_000, 0)}, st, o)
	if err != nil {
		t.Fatal(err)
	}
	return display.Rotate(a, display.Rot90), display.Rotate(b, display.Rot90)
}

func newWaveshare(t testing.TB) (*Waveshare2in13v2, *rig) {
	r := newRig()
	w, err := NewWaveshare2in13v2(r.port, r.dc, r.cs, r.rst, r.busy)
	if err != nil {
		t.Fatal(err)
	}
	return w, r
}

func sameBits(t *testing.T, what string, got, want *image1bit.VerticalLSB) {
	t.Helper()
	n := 0
	for y := range want.Rect.Dy() {
		for x := range want.Rect.Dx() {
			if got.BitAt(x, y) != want.BitAt(x, y) {
				n++
			}
		}
	}
	if n > 0 {
		t.Errorf("%s: %d pixels differ from the frame", what, n)
	}
}

func TestWaveshareFullDrawWritesFrameToRAM(t *testing.T) {
	w, r := newWaveshare(t)
	if got, want := w.Bounds(), image.Rect(0, 0, 122, 250); got != want {
		t.Fatalf("Bounds = %v, want %v", got, want)
	}
	store, _ := frames(t)
	m := newRAM(122, 250)
	if err := m.apply(r.commands(t, 0)); err != nil { // init sequence
		t.Fatal(err)
	}
	from := r.ops()
	if err := w.Refresh(store, store.Bounds(), display.Full); err != nil {
		t.Fatal(err)
	}
	if err := m.apply(r.commands(t, from)); err != nil {
		t.Fatal(err)
	}
	sameBits(t, "0x24 black/white RAM", m.image(m.bw), store)
	sameBits(t, "0x26 red RAM", m.image(m.red), store)
	if got, want := m.writes[0x24], 16*250; got != want {
		t.Errorf("0x24 wrote %d bytes, want %d (whole panel)", got, want)
	}
	if diff := cmp.Diff(m.updates, []byte{0x00}); diff != "" {
		t.Errorf("display updates (0x21 option per 0x20) (-got +want):\n%s", diff)
	}
	if !bytes.Equal(m.lastLUT, waveshare2in13v2.EPD2in13v2.FullUpdate[:70]) {
		t.Error("full-refresh LUT not loaded")
	}
}

func TestWavesharePartialDrawSendsOnlyChangedArea(t *testing.T) {
	w, r := newWaveshare(t)
	store, flash := frames(t)
	m := newRAM(122, 250)
	if err := w.Refresh(store, store.Bounds(), display.Full); err != nil {
		t.Fatal(err)
	}
	if err := m.apply(r.commands(t, 0)); err != nil {
		t.Fatal(err)
	}
	// The flash keeps the QR: only the text column changes.
	area := diffRect(store, flash)
	if area.Dy() > 150 {
		t.Fatalf("flash changed %v: more than the text column", area)
	}
	from := r.ops()
	m.writes = map[byte]int{}
	m.updates = nil
	if err := w.Refresh(flash, area, display.Partial); err != nil {
		t.Fatal(err)
	}
	if err := m.apply(r.commands(t, from)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(m.lastLUT, waveshare2in13v2.EPD2in13v2.PartialUpdate[:70]) {
		t.Error("partial-refresh LUT not loaded")
	}
	if diff := cmp.Diff(m.updates, []byte{0x80}); diff != "" {
		t.Errorf("display updates (-got +want):\n%s", diff)
	}
	if got, want := m.writes[0x24], (area.Max.X+7)/8*area.Dy()-area.Min.X/8*area.Dy(); got != want {
		t.Errorf("0x24 wrote %d bytes, want %d (changed rows only)", got, want)
	}
	sameBits(t, "RAM after partial", m.image(m.bw), flash)
}

func TestWaveshareWaitsForBusy(t *testing.T) {
	w, r := newWaveshare(t)
	store, _ := frames(t)
	r.busy.mu.Lock()
	r.busy.Busy, r.busy.Reads, r.busy.Waits = 3, 0, 0
	r.busy.mu.Unlock()
	if err := w.Refresh(store, store.Bounds(), display.Full); err != nil {
		t.Fatal(err)
	}
	r.busy.mu.Lock()
	defer r.busy.mu.Unlock()
	if r.busy.Waits == 0 {
		t.Error("driver never waited for an edge on BUSY while it read High")
	}
	if r.busy.Busy != 0 {
		t.Errorf("refresh returned with BUSY still high (%d reads left)", r.busy.Busy)
	}
}

func TestWaveshareSleepsAndWakes(t *testing.T) {
	w, r := newWaveshare(t)
	store, flash := frames(t)
	m := newRAM(122, 250)
	if err := w.Refresh(store, store.Bounds(), display.Full); err != nil {
		t.Fatal(err)
	}
	if err := w.Sleep(); err != nil {
		t.Fatal(err)
	}
	if err := m.apply(r.commands(t, 0)); err != nil {
		t.Fatal(err)
	}
	if !m.sleeping {
		t.Fatal("Sleep sent no deep-sleep command")
	}
	from := r.ops()
	if err := w.Refresh(flash, flash.Bounds(), display.Full); err != nil {
		t.Fatal(err)
	}
	if err := m.apply(r.commands(t, from)); err != nil {
		t.Fatal(err)
	}
	if m.sleeping {
		t.Error("refresh after Sleep did not wake the controller (no 0x12 reset)")
	}
	sameBits(t, "RAM after wake", m.image(m.bw), flash)
}

func TestDisplayUnchangedFrameSendsNothing(t *testing.T) {
	w, r := newWaveshare(t)
	d, err := display.New(w, display.Config{Rotation: display.Rot90, NoSleep: true})
	if err != nil {
		t.Fatal(err)
	}
	if d.Size() != display.Size250x122 {
		t.Fatalf("Size = %v", d.Size())
	}
	frame, err := display.Compose(shop, display.Status{}, display.Options{Size: d.Size()})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Show(frame); err != nil {
		t.Fatal(err)
	}
	ops, dc, rst := r.ops(), len(r.dc.changes), r.rst.Read()
	again, _ := display.Compose(shop, display.Status{}, display.Options{Size: d.Size()})
	if err := d.Show(again); err != nil {
		t.Fatal(err)
	}
	if r.ops() != ops || len(r.dc.changes) != dc || r.rst.Read() != rst {
		t.Errorf("unchanged frame caused panel traffic: %d SPI ops, %d DC changes", r.ops()-ops, len(r.dc.changes)-dc)
	}
	if got, want := d.Stats(), (display.Stats{Full: 1, Unchanged: 1}); got != want {
		t.Errorf("Stats = %+v, want %+v", got, want)
	}
}

// diffRect bounds the pixels that differ between a and b.
func diffRect(a, b *image1bit.VerticalLSB) image.Rectangle {
	var r image.Rectangle
	for y := range a.Rect.Dy() {
		for x := range a.Rect.Dx() {
			if a.BitAt(x, y) != b.BitAt(x, y) {
				r = r.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return r
}
