package display_test

import (
	"image"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/qrstand/qrstand/display"
	"github.com/qrstand/qrstand/display/sim"
	"periph.io/x/devices/v3/ssd1306/image1bit"
)

var shop = display.Store{Name: "老王牛肉面馆", URL: "https://pay.qrstand.cn/s/7kQ2mX9pLw"}

// clock is an injectable time source.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func compose(t *testing.T, s display.Screen, st display.Status, size image.Point) *image1bit.VerticalLSB {
	t.Helper()
	f, err := display.Compose(s, st, display.Options{Size: size})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func modes(p *sim.Panel) []display.Mode {
	var m []display.Mode
	for _, r := range p.Refreshes() {
		m = append(m, r.Mode)
	}
	return m
}

func TestDisplaySchedulesRefreshes(t *testing.T) {
	p, err := sim.New(sim.Opts{Dir: t.TempDir(), Size: image.Pt(122, 250), Partial: true})
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)}
	d, err := display.New(p, display.Config{Rotation: display.Rot90, MaxPartials: 3, FullEvery: time.Hour, Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	size := d.Size()
	store := compose(t, shop, display.Status{}, size)
	show := func(f *image1bit.VerticalLSB) {
		t.Helper()
		if err := d.Show(f); err != nil {
			t.Fatal(err)
		}
		if !p.Asleep() {
			t.Error("panel left awake after a refresh")
		}
	}
	show(store) // first frame: full
	for i := range 4 {
		show(compose(t, display.Flash{Store: shop, Fen: int64(100 + i)}, display.Status{}, size))
	}
	// 3 partials allowed, the 4th change is full.
	want := []display.Mode{display.Full, display.Partial, display.Partial, display.Partial, display.Full}
	if got := modes(p); !equalModes(got, want) {
		t.Fatalf("modes %v, want %v", got, want)
	}
	// A different screen changes most pixels: full.
	show(compose(t, display.Pairing{URL: "https://pay.qrstand.cn/p/X1", Code: "1234"}, display.Status{}, size))
	// Status change: partial, then an hour later Maintain clears ghosting.
	show(compose(t, display.Pairing{URL: "https://pay.qrstand.cn/p/X1", Code: "1234"}, display.Status{Network: display.NetOnline}, size))
	if err := d.Maintain(); err != nil {
		t.Fatal(err)
	}
	clk.t = clk.t.Add(59 * time.Minute)
	if err := d.Maintain(); err != nil {
		t.Fatal(err)
	}
	if n := len(p.Refreshes()); n != 7 {
		t.Fatalf("Maintain before FullEvery refreshed: %d refreshes", n)
	}
	clk.t = clk.t.Add(2 * time.Minute)
	if err := d.Maintain(); err != nil {
		t.Fatal(err)
	}
	if err := d.Maintain(); err != nil { // nothing to clear any more
		t.Fatal(err)
	}
	want = append(want, display.Full, display.Partial, display.Full)
	if got := modes(p); !equalModes(got, want) {
		t.Fatalf("modes %v, want %v", got, want)
	}
	if got, want := d.Stats(), (display.Stats{Full: 4, Partial: 4}); got != want {
		t.Errorf("Stats %+v, want %+v", got, want)
	}
	// Partial refreshes carry only the changed area.
	for _, r := range p.Refreshes() {
		if r.Mode == display.Partial && r.Area.Dx()*r.Area.Dy() >= 122*250/2 {
			t.Errorf("partial refresh of %v: too large", r.Area)
		}
		if r.Mode == display.Full && r.Area != image.Rect(0, 0, 122, 250) {
			t.Errorf("full refresh of %v", r.Area)
		}
	}
}

func TestDisplayFullOnlyPanel(t *testing.T) {
	p, err := sim.New(sim.Opts{Dir: t.TempDir(), Size: display.Size400x300})
	if err != nil {
		t.Fatal(err)
	}
	d, err := display.New(p, display.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := d.Show(compose(t, display.Flash{Store: shop, Fen: int64(i)}, display.Status{}, d.Size())); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := d.Stats(), (display.Stats{Full: 3}); got != want {
		t.Errorf("Stats %+v, want %+v", got, want)
	}
}

func TestDisplayRejectsWrongSize(t *testing.T) {
	p, _ := sim.New(sim.Opts{Dir: t.TempDir(), Size: image.Pt(122, 250)})
	d, _ := display.New(p, display.Config{Rotation: display.Rot90})
	if err := d.Show(compose(t, shop, display.Status{}, image.Pt(122, 250))); err == nil {
		t.Error("Show accepted an unrotated frame")
	}
	if _, err := display.New(p, display.Config{Rotation: 7}); err == nil {
		t.Error("New accepted rotation 7")
	}
}

func TestDisplayRedrawsAfterFailedRefresh(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "frames")
	p, err := sim.New(sim.Opts{Dir: dir, Partial: true})
	if err != nil {
		t.Fatal(err)
	}
	d, _ := display.New(p, display.Config{})
	if err := d.Show(compose(t, shop, display.Status{}, d.Size())); err != nil {
		t.Fatal(err)
	}
	// Break the panel: its folder becomes a file.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	flash := compose(t, display.Flash{Store: shop, Fen: 500}, display.Status{}, d.Size())
	if err := d.Show(flash); err == nil {
		t.Fatal("Show reported success on a broken panel")
	}
	// Repair it: the same frame must be drawn again, fully, not skipped.
	os.Remove(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := d.Show(flash); err != nil {
		t.Fatal(err)
	}
	rs := p.Refreshes()
	if last := rs[len(rs)-1]; last.Mode != display.Full {
		t.Errorf("retry after failure was %v, want full", last.Mode)
	}
	if got, want := d.Stats(), (display.Stats{Full: 2}); got != want {
		t.Errorf("Stats %+v, want %+v", got, want)
	}
}

func equalModes(a, b []display.Mode) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
