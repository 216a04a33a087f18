package display_test

import (
	"fmt"
	"log"
	"os"
	"time"

	"github.com/qrstand/qrstand/display"
	"github.com/qrstand/qrstand/display/sim"
)

// The stand's display loop in miniature: compose a screen for the panel's
// size, show it, and show the payment flash when money arrives.
func Example() {
	dir, err := os.MkdirTemp("", "qrstand-sim")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// On a Pi this is epd/hw.OpenWaveshare2in13v2() with Rotation Rot90.
	panel, err := sim.New(sim.Opts{Dir: dir, Size: display.Size250x122, Partial: true})
	if err != nil {
		log.Fatal(err)
	}
	d, err := display.New(panel, display.Config{})
	if err != nil {
		log.Fatal(err)
	}

	store := display.Store{Name: "老王牛肉面馆", URL: "https://pay.qrstand.cn/s/7kQ2mX9pLw"}
	status := display.Status{
		Battery: display.Battery{Present: true, Percent: 76},
		Network: display.NetOnline,
	}
	opts := display.Options{Size: d.Size()}

	for _, screen := range []display.Screen{
		store,
		display.Flash{Store: store, Fen: 1250, Channel: display.WeChat, At: time.Now()},
		store,
		store, // unchanged: no panel traffic
	} {
		frame, err := display.Compose(screen, status, opts)
		if err != nil {
			log.Fatal(err)
		}
		if err := d.Show(frame); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Printf("%+v\n", d.Stats())
	// Output:
	// {Full:1 Partial:2 Unchanged:1}
}
