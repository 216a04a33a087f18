package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"periph.io/x/devices/v3/ssd1306/image1bit"

	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/mqtttest"
)

// procStatus sums the voluntary context switches of /proc/PID/task/*/status
// (they are per thread) and reads VmRSS from /proc/PID/status.
func procStatus(pid int) (rssKB, switches int64, err error) {
	read := func(path string, f func(k, v string)) error {
		fh, err := os.Open(path)
		if err != nil {
			return err
		}
		defer fh.Close()
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			k, v, ok := strings.Cut(sc.Text(), ":")
			if ok {
				f(k, strings.TrimSpace(v))
			}
		}
		return sc.Err()
	}
	err = read(fmt.Sprintf("/proc/%d/status", pid), func(k, v string) {
		if k == "VmRSS" {
			rssKB, _ = strconv.ParseInt(strings.Fields(v)[0], 10, 64)
		}
	})
	if err != nil {
		return
	}
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	for _, ts := range tasks {
		_ = read(ts, func(k, v string) {
			// Voluntary switches only: a thread that blocked and was woken
			// again. Involuntary ones (preemption) say how busy the rest
			// of the machine is, not how often the daemon wakes up.
			if k == "voluntary_ctxt_switches" {
				n, _ := strconv.ParseInt(v, 10, 64)
				switches += n
			}
		})
	}
	return
}

// BenchmarkDaemonIdle builds qrstand, runs it as its own process in -sim
// mode against the embedded broker, handles one store.config and 20
// payments, then measures its resident memory and how often its threads
// wake up while nothing happens (voluntary context switches of every
// thread over the idle period, per minute). QRSTAND_IDLE sets the idle period
// (default 30s).
//
//	go test ./firmware/cmd/qrstand -run X -bench DaemonIdle -benchtime 1x
func BenchmarkDaemonIdle(b *testing.B) {
	if testing.Short() {
		b.Skip("builds and runs the daemon")
	}
	idle := 30 * time.Second
	if v := os.Getenv("QRSTAND_IDLE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatal(err)
		}
		idle = d
	}
	bin := filepath.Join(b.TempDir(), "qrstand")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		b.Fatalf("go build: %v", err)
	}
	for i := 0; i < b.N; i++ {
		br := mqtttest.Start(b, mqtttest.Options{})
		id := "stand-bench-1"
		secret := br.AddStand(id)
		cl := mqtttest.NewCloud(b, br)
		dir := b.TempDir()
		cmd := exec.Command(bin, "-sim", dir, "-broker", br.URL, "-id", id, "-http", "off", "-log-level", "warn")
		cmd.Env = append(os.Environ(), "QRSTAND_SECRET="+secret)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		cl.WaitFor("hello", func() bool { return len(cl.UpsOf(mqtt.KindHello)) > 0 })
		cfg := cl.Send(id, &mqtt.StoreConfig{Version: 1, Bound: true, StoreID: "st_1", StoreName: "老王面馆", QRURL: "https://pay.example.com/s/st_1",
			Announce: mqtt.AnnounceConfig{Enabled: true, Volume: 80}, Print: mqtt.PrintConfig{Enabled: true}}, 0)
		// The store screen: the newest frame once the config is applied.
		cl.WaitFor("store.config applied", func() bool { return cl.Acked(cfg.ID) })
		storeFrame := newestFile(b, filepath.Join(dir, "frames", "frame-*.png"))
		var last mqtt.Message
		for k := 0; k < 20; k++ {
			last = cl.Send(id, &mqtt.PaymentPaid{OrderNo: fmt.Sprintf("IDLE%03d", k), Channel: mqtt.ChannelWeChat, AmountFen: int64(100 + k),
				PaidAt: time.Now().UTC(), StoreID: "st_1"}, int64(k+1))
		}
		cl.WaitFor("last ack", func() bool { return cl.Acked(last.ID) })
		// Idle starts when every receipt is written and the last payment
		// flash has ended: the panel shows the store screen again.
		cl.WaitForWithin("receipts written, flashes ended", time.Minute, func() bool {
			receipts, _ := filepath.Glob(filepath.Join(dir, "receipts", "receipt-*.bin"))
			return len(receipts) == 20 && bytes.Equal(newestFile(b, filepath.Join(dir, "frames", "frame-*.png")), storeFrame)
		})
		rss0, sw0, err := procStatus(cmd.Process.Pid)
		if err != nil {
			b.Fatal(err)
		}
		time.Sleep(idle) // the measured idle period itself, not a wait for a fact
		rss1, sw1, err := procStatus(cmd.Process.Pid)
		if err != nil {
			b.Fatal(err)
		}
		cmd.Process.Signal(os.Interrupt)
		if err := cmd.Wait(); err != nil {
			b.Errorf("daemon exit: %v", err)
		}
		b.ReportMetric(float64(max(rss0, rss1)), "rss-kB")
		b.ReportMetric(float64(sw1-sw0)/idle.Minutes(), "wakeups/min")
	}
}

// newestFile reads the last file (in name order) that pattern matches; nil
// when none does.
func newestFile(tb testing.TB, pattern string) []byte {
	m, _ := filepath.Glob(pattern)
	if len(m) == 0 {
		return nil
	}
	b, err := os.ReadFile(m[len(m)-1])
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// BenchmarkStartupToFirstFrame: from calling the daemon (sim mode, fresh
// data folder) to the first frame on the panel.
func BenchmarkStartupToFirstFrame(b *testing.B) {
	br := mqtttest.Start(b, mqtttest.Options{})
	id := "stand-bench-2"
	secret := br.AddStand(id)
	log := slog.New(slog.DiscardHandler)
	var total time.Duration
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		o, err := parse("run", []string{"-sim", dir, "-broker", br.URL, "-id", id, "-secret", secret, "-http", "off"}, noenv, io.Discard)
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		first := make(chan struct{}, 1)
		done := make(chan error, 1)
		start := time.Now()
		go func() {
			done <- daemon(ctx, o, log, &hooks{onFrame: func(*image1bit.VerticalLSB) {
				select {
				case first <- struct{}{}:
				default:
				}
			}})
		}()
		select {
		case <-first:
		case err := <-done:
			b.Fatalf("daemon ended: %v", err)
		}
		total += time.Since(start)
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/first-frame")
}
