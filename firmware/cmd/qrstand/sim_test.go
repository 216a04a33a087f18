package main

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/qrstand/qrstand/firmware/internal/speech"
	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/mqtttest"
)

func tryQR(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return "", err
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", err
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}

func decodeQR(t *testing.T, path string) string {
	t.Helper()
	s, err := tryQR(path)
	if err != nil {
		t.Fatalf("no QR code decodes in %s: %v", path, err)
	}
	return s
}

type simStand struct {
	dir, addr string
	cancel    context.CancelFunc
	done      chan error
}

// startSim runs the daemon as `qrstand -sim DIR -broker URL -id ID -secret S`.
func startSim(t *testing.T, b *mqtttest.Broker, id, secret, dir string) *simStand {
	t.Helper()
	o, err := parse("run", []string{"-sim", dir, "-broker", b.URL, "-id", id, "-secret", secret, "-http", "127.0.0.1:0"},
		func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	if os.Getenv("QRSTAND_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &simStand{dir: dir, cancel: cancel, done: make(chan error, 1)}
	ready := make(chan string, 1)
	go func() { s.done <- daemon(ctx, o, log, &hooks{ready: func(a string) { ready <- a }}) }()
	select {
	case s.addr = <-ready:
	case err := <-s.done:
		t.Fatalf("daemon ended: %v", err)
	case <-time.After(mqtttest.Wait):
		t.Fatal("daemon did not start")
	}
	t.Cleanup(func() { s.stop(t) })
	return s
}

func (s *simStand) stop(t *testing.T) {
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.cancel = nil
	if err := <-s.done; err != nil {
		t.Errorf("daemon: %v", err)
	}
}

func newest(t *testing.T, pattern string) string {
	t.Helper()
	m, _ := filepath.Glob(pattern)
	if len(m) == 0 {
		return ""
	}
	return m[len(m)-1]
}

// TestSimEndToEnd: in -sim mode a payment.paid from the cloud produces a
// frame PNG (whose QR is the store code), a receipt .bin + .png whose QR
// decodes to the order URL, and an announcement text + well-formed WAV,
// and the local page shows them.
func TestSimEndToEnd(t *testing.T) {
	b := mqtttest.Start(t, mqtttest.Options{})
	id := "stand-sim-1"
	secret := b.AddStand(id)
	cl := mqtttest.NewCloud(t, b)
	dir := t.TempDir()
	s := startSim(t, b, id, secret, dir)

	cfg := &mqtt.StoreConfig{Version: 1, Bound: true, StoreID: "st_1", StoreName: "老王面馆", QRURL: "https://pay.example.com/s/st_1",
		Announce: mqtt.AnnounceConfig{Enabled: true, Volume: 80}, Print: mqtt.PrintConfig{Enabled: true, Copies: 1, OrderQR: true}}
	cl.Send(id, cfg, 0)
	cl.WaitFor("store screen", func() bool { return newest(t, filepath.Join(dir, "frames", "frame-*.png")) != "" })
	cl.WaitFor("store QR on screen", func() bool {
		got, err := tryQR(filepath.Join(dir, "frames", "current.png"))
		return err == nil && got == cfg.QRURL
	})

	p := &mqtt.PaymentPaid{OrderNo: "SIM0001", Channel: mqtt.ChannelWeChat, AmountFen: 1250, PaidAt: time.Now().UTC(),
		StoreID: "st_1", StoreName: "老王面馆", OrderURL: "https://pay.example.com/o/SIM0001"}
	m := cl.Send(id, p, 1)
	cl.WaitFor("ack", func() bool { return cl.Acked(m.ID) })
	cl.WaitFor("receipt and announcement", func() bool {
		return newest(t, filepath.Join(dir, "receipts", "receipt-*.png")) != "" &&
			newest(t, filepath.Join(dir, "announce", "announce-*.wav")) != ""
	})

	rpng := newest(t, filepath.Join(dir, "receipts", "receipt-*.png"))
	if _, err := os.Stat(strings.TrimSuffix(rpng, ".png") + ".bin"); err != nil {
		t.Errorf("no ESC/POS file beside %s", rpng)
	}
	if got := decodeQR(t, rpng); got != p.OrderURL {
		t.Errorf("receipt QR = %q, want %q", got, p.OrderURL)
	}
	txt, err := os.ReadFile(newest(t, filepath.Join(dir, "announce", "announce-*.txt")))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(txt)); got != "微信收款十二点五元" {
		t.Errorf("announcement = %q", got)
	}
	wav, err := os.ReadFile(newest(t, filepath.Join(dir, "announce", "announce-*.wav")))
	if err != nil {
		t.Fatal(err)
	}
	f, pcm, err := speech.DecodeWAV(wav)
	if err != nil {
		t.Fatalf("announcement WAV: %v", err)
	}
	if f != speech.DefaultFormat || len(pcm) == 0 {
		t.Errorf("WAV format %v with %d bytes, want %v and sound", f, len(pcm), speech.DefaultFormat)
	}
	// The payment flash was drawn (a frame beyond the store screen).
	frames, _ := filepath.Glob(filepath.Join(dir, "frames", "frame-*.png"))
	if len(frames) < 2 {
		t.Errorf("%d frames, want the store screen and the payment flash", len(frames))
	}

	res, err := http.Get("http://" + s.addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{"微信收款十二点五元", filepath.Base(rpng), "/frames/preview.png"} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("sim page lacks %q", want)
		}
	}
	res, err = http.Get("http://" + s.addr + "/frames/preview.png")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := image.Decode(res.Body); err != nil {
		t.Errorf("preview.png: %v", err)
	}
	res.Body.Close()
}
