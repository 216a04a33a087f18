package face

import (
	"image"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"periph.io/x/devices/v3/ssd1306/image1bit"

	"github.com/qrstand/qrstand/display"
)

// recorder is a Shower that keeps every frame.
type recorder struct {
	mu     sync.Mutex
	frames []*image1bit.VerticalLSB
}

func (r *recorder) Show(f *image1bit.VerticalLSB) error {
	r.mu.Lock()
	r.frames = append(r.frames, f)
	r.mu.Unlock()
	return nil
}

func (r *recorder) Size() image.Point { return display.Size250x122 }

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.frames)
}

func same(a, b *image1bit.VerticalLSB) bool {
	if a == nil || b == nil {
		return false
	}
	for i := range a.Pix {
		if a.Pix[i] != b.Pix[i] {
			return false
		}
	}
	return len(a.Pix) == len(b.Pix)
}

func compose(t *testing.T, s display.Screen, st display.Status) *image1bit.VerticalLSB {
	t.Helper()
	f, err := display.Compose(s, st, display.Options{Size: display.Size250x122})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestScreens runs in a synctest bubble: the flash ends on a timer, and
// with the bubble's clock it ends exactly FlashFor after it began, however
// slow the machine (a real 30 ms timer could fire before the check).
func TestScreens(t *testing.T) { synctest.Test(t, testScreens) }

func testScreens(t *testing.T) {
	rec := &recorder{}
	// The bubble's clock moves only when every goroutine waits, so a slow
	// machine (qemu-user in make test-pi) sees the same 30 ms.
	f := New(rec, Opts{FlashFor: 30 * time.Millisecond})
	defer f.Close()
	store := &display.Store{Name: "老王面馆", URL: "https://pay.example.com/s/1"}
	pairing := &display.Pairing{URL: "https://pay.example.com/p/1/4827", Code: "4827"}

	f.SetPairing(pairing)
	if !same(f.Current(), compose(t, *pairing, display.Status{})) {
		t.Error("no pairing screen")
	}
	f.SetStore(store)
	if !same(f.Current(), compose(t, *store, display.Status{})) {
		t.Error("no store screen")
	}
	// Unchanged status does not redraw.
	n := rec.count()
	f.SetNetwork(display.NetUnknown)
	if rec.count() != n {
		t.Error("an unchanged network state redrew")
	}
	at := time.Date(2026, 11, 25, 4, 5, 6, 0, time.UTC)
	f.Flash(1250, display.WeChat, at)
	if !same(f.Current(), compose(t, display.Flash{Store: *store, Fen: 1250, Channel: display.WeChat, At: at}, display.Status{})) {
		t.Error("no flash")
	}
	time.Sleep(29 * time.Millisecond)
	if !same(f.Current(), compose(t, display.Flash{Store: *store, Fen: 1250, Channel: display.WeChat, At: at}, display.Status{})) {
		t.Error("the flash ended before FlashFor")
	}
	time.Sleep(time.Millisecond)
	synctest.Wait() // the timer's endFlash has run
	if !same(f.Current(), compose(t, *store, display.Status{})) {
		t.Fatal("the flash did not end after FlashFor")
	}
	low := display.Battery{Present: true, Percent: 15}
	f.SetBattery(low, true)
	if !same(f.Current(), compose(t, display.LowBattery{Store: *store}, display.Status{Battery: low})) {
		t.Error("no low-battery screen")
	}
	f.SetFlashEnabled(false)
	n = rec.count()
	f.Flash(100, display.WeChat, at)
	if rec.count() != n {
		t.Error("flashed with the flash disabled")
	}
	final := display.Status{Battery: display.Battery{Present: true, Percent: 3}}
	f.Final(final)
	if !same(f.Current(), compose(t, *store, final)) {
		t.Error("the final frame is not the plain store QR")
	}
	n = rec.count()
	f.SetPairing(&display.Pairing{Code: "12345678"})
	if rec.count() != n {
		t.Error("drew after Final")
	}
}
