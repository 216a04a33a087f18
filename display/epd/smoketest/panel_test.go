package smoketest

import (
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/qrstand/qrstand/display"
	"github.com/qrstand/qrstand/display/epd/hw"
)

// TestPanel draws the store screen (full refresh), a payment flash and a
// status change (partial refreshes on the Waveshare), the store screen
// again, and a final full refresh, then leaves the store QR on the glass and
// the panel asleep. A person checks the glass; the test checks that every
// driver call succeeded and the refresh counts.
//
//	QRSTAND_PANEL=waveshare2in13v2 go test -v ./display/epd/smoketest
//	QRSTAND_PANEL=inkywhat        go test -v ./display/epd/smoketest
func TestPanel(t *testing.T) {
	kind := os.Getenv("QRSTAND_PANEL")
	if kind == "" {
		t.Skip("QRSTAND_PANEL not set: no panel to test (waveshare2in13v2 or inkywhat)")
	}
	if runtime.GOOS != "linux" || (runtime.GOARCH != "arm" && runtime.GOARCH != "arm64") {
		t.Skipf("not a Raspberry Pi (%s/%s)", runtime.GOOS, runtime.GOARCH)
	}
	var (
		panel display.Panel
		cfg   display.Config
	)
	switch kind {
	case "waveshare2in13v2":
		p, err := hw.OpenWaveshare2in13v2(hw.Wiring{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		panel, cfg.Rotation = p.Panel, display.Rot90
	case "inkywhat":
		p, err := hw.OpenInkyWHAT(hw.Wiring{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		panel = p.Panel
	default:
		t.Fatalf("QRSTAND_PANEL=%q: want waveshare2in13v2 or inkywhat", kind)
	}
	d, err := display.New(panel, cfg)
	if err != nil {
		t.Fatal(err)
	}
	store := display.Store{Name: "冒烟测试 Smoke test", URL: "https://pay.qrstand.cn/s/smoketest"}
	st := display.Status{Battery: display.Battery{Present: true, Percent: 88}, Network: display.NetOnline}
	show := func(s display.Screen, st display.Status) {
		t.Helper()
		f, err := display.Compose(s, st, display.Options{Size: d.Size()})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if err := d.Show(f); err != nil {
			t.Fatal(err)
		}
		t.Logf("%T shown in %v, stats %+v", s, time.Since(start), d.Stats())
	}
	show(store, st)
	show(display.Flash{Store: store, Fen: 1250, Channel: display.WeChat, At: time.Now()}, st)
	st.Paper = display.PaperOut
	show(store, st)
	show(store, st) // unchanged: must not refresh
	got := d.Stats()
	if got.Unchanged != 1 || got.Full+got.Partial != 3 {
		t.Errorf("stats %+v: want 3 refreshes and 1 skipped", got)
	}
	if panel.CanPartial() && got.Partial == 0 {
		t.Errorf("no partial refresh on a panel that has them: %+v", got)
	}
}
