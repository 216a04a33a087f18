package sim_test

import (
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/qrstand/qrstand/display"
	"github.com/qrstand/qrstand/display/sim"
	"periph.io/x/devices/v3/ssd1306/image1bit"
)

var shop = display.Store{Name: "老王牛肉面馆", URL: "https://pay.qrstand.cn/s/7kQ2mX9pLw"}

func compose(t *testing.T, s display.Screen, st display.Status, size image.Point) *image1bit.VerticalLSB {
	t.Helper()
	f, err := display.Compose(s, st, display.Options{Size: size})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSimKeepsLastFrames(t *testing.T) {
	dir := t.TempDir()
	p, err := sim.New(sim.Opts{Dir: dir, Keep: 2, Scale: 2})
	if err != nil {
		t.Fatal(err)
	}
	d, _ := display.New(p, display.Config{})
	for i := range 4 {
		if err := d.Show(compose(t, display.Flash{Store: shop, Fen: int64(i)}, display.Status{}, d.Size())); err != nil {
			t.Fatal(err)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "frame-*.png"))
	if len(files) != 2 || filepath.Base(files[0]) != "frame-000003.png" {
		t.Errorf("frames kept: %v", files)
	}
	prev := readPNG(t, filepath.Join(dir, "preview.png"))
	cur := readPNG(t, filepath.Join(dir, "current.png"))
	if prev.Bounds().Size() != cur.Bounds().Size().Mul(2) {
		t.Errorf("preview %v is not 2× current %v", prev.Bounds(), cur.Bounds())
	}
	// A restarted simulator continues numbering.
	p2, _ := sim.New(sim.Opts{Dir: dir, Keep: 2})
	d2, _ := display.New(p2, display.Config{})
	if err := d2.Show(compose(t, shop, display.Status{}, d2.Size())); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "frame-000005.png")); err != nil {
		t.Error(err)
	}
}

func TestSimRejectsBadOpts(t *testing.T) {
	for _, o := range []sim.Opts{{}, {Dir: t.TempDir(), Keep: -1}, {Dir: t.TempDir(), Scale: 99}} {
		if _, err := sim.New(o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
	p, _ := sim.New(sim.Opts{Dir: t.TempDir()})
	wrong := image1bit.NewVerticalLSB(image.Rect(0, 0, 10, 10))
	if err := p.Refresh(wrong, wrong.Bounds(), display.Full); err == nil {
		t.Error("Refresh accepted a frame of the wrong size")
	}
}
