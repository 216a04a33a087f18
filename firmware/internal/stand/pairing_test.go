package stand

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"periph.io/x/devices/v3/ssd1306/image1bit"

	"github.com/qrstand/qrstand/display"
	"github.com/qrstand/qrstand/mqtt"
)

func composed(t *testing.T, s display.Screen, st display.Status) *image1bit.VerticalLSB {
	t.Helper()
	f, err := display.Compose(s, st, display.Options{Size: display.Size250x122})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func sameFrame(a, b *image1bit.VerticalLSB) bool {
	if a == nil || b == nil || a.Bounds() != b.Bounds() {
		return false
	}
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if a.BitAt(x, y) != b.BitAt(x, y) {
				return false
			}
		}
	}
	return true
}

// TestPairing follows DESIGN §7: an unpaired stand says hello (paired
// false), asks for a code, shows the pairing QR with the code, and shows
// the store QR once a bound store.config arrives.
func TestPairing(t *testing.T) {
	r := newRig(t, false)
	code := &mqtt.PairCode{Code: "4827", URL: "https://pay.example.com/pair/stand-test-1/4827", ExpiresAt: time.Now().Add(10 * time.Minute)}
	r.cloud.OnUp(func(m mqtt.Message) {
		if m.Type == mqtt.KindPairRequest {
			go r.cloud.Send(r.id, code, 0)
		}
	})
	run := r.start(opts{})
	online := display.Status{Network: display.NetOnline, Paper: display.PaperOK}
	want := composed(t, display.Pairing{URL: code.URL, Code: code.Code}, online)
	r.cloud.WaitFor("pairing screen", func() bool { return sameFrame(run.face.Current(), want) })
	hellos := r.cloud.UpsOf(mqtt.KindHello)
	if len(hellos) != 1 || hellos[0].Body.(*mqtt.Hello).Paired {
		t.Fatalf("hellos = %+v, want one unpaired", hellos)
	}
	if n := len(r.cloud.UpsOf(mqtt.KindPairRequest)); n != 1 {
		t.Errorf("%d pair.requests, want 1", n)
	}

	cfg := storeConfig()
	r.cloud.Send(r.id, cfg, 0)
	wantStore := composed(t, display.Store{Name: cfg.StoreName, URL: cfg.QRURL}, online)
	r.cloud.WaitFor("store screen", func() bool { return sameFrame(run.face.Current(), wantStore) })
	if !run.s.Paired() {
		t.Error("Paired() = false after a bound store.config")
	}

	// Restart: the store screen comes back from the journal, and hello
	// says paired with the config version; no new pair.request.
	run.stop()
	run2 := r.start(opts{})
	r.cloud.WaitFor("second hello", func() bool { return len(r.cloud.UpsOf(mqtt.KindHello)) == 2 })
	h := r.cloud.UpsOf(mqtt.KindHello)[1].Body.(*mqtt.Hello)
	if d := cmp.Diff([2]any{h.Paired, h.ConfigVersion}, [2]any{true, int64(1)}); d != "" {
		t.Errorf("hello after restart (-got +want):\n%s", d)
	}
	r.cloud.WaitFor("store screen after restart", func() bool { return sameFrame(run2.face.Current(), wantStore) })
	if n := len(r.cloud.UpsOf(mqtt.KindPairRequest)); n != 1 {
		t.Errorf("%d pair.requests after restart, want still 1", n)
	}
}
