package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qrstand/qrstand/firmware/internal/stand"
	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/mqtttest"
	"github.com/qrstand/qrstand/printer/escpos"
)

// TestMain lets the test binary act as the daemon in a child process that
// dies for real (os.Exit: no deferred cleanup, SQLite and MQTT left as a
// power cut leaves them) at a crash point.
func TestMain(m *testing.M) {
	if args := os.Getenv("QRSTAND_CHILD_ARGS"); args != "" {
		os.Exit(child(strings.Split(args, "\x1f"), stand.Point(os.Getenv("QRSTAND_CHILD_DIE_AT"))))
	}
	os.Exit(m.Run())
}

func child(args []string, dieAt stand.Point) int {
	o, err := parse("run", args, os.Getenv, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	log := slog.New(slog.DiscardHandler)
	if os.Getenv("QRSTAND_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	hk := &hooks{crash: func(p stand.Point, _ []string) error {
		if p == dieAt {
			os.Exit(3) // killed: nothing after this point happens
		}
		return nil
	}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { // the parent closes our stdin to stop us cleanly
		io.Copy(io.Discard, os.Stdin)
		cancel()
	}()
	if err := daemon(ctx, o, log, hk); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

type childProc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	done  chan error
}

func startChild(t *testing.T, args []string, dieAt stand.Point, secret string) *childProc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "QRSTAND_CHILD_ARGS="+strings.Join(args, "\x1f"), "QRSTAND_CHILD_DIE_AT="+string(dieAt), "QRSTAND_SECRET="+secret)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &childProc{cmd: cmd, stdin: in, done: make(chan error, 1)}
	go func() { c.done <- cmd.Wait() }()
	t.Cleanup(func() {
		in.Close()
		select {
		case <-c.done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-c.done
		}
	})
	return c
}

func (c *childProc) exitCode(t *testing.T) int {
	t.Helper()
	select {
	case err := <-c.done:
		c.done <- err
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(mqtttest.Wait):
		t.Fatal("the child did not die")
		return -1
	}
}

func receiptTexts(t *testing.T, dir string) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "receipts", "receipt-*.bin"))
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, strings.Join(escpos.Lines(escpos.Decode(b)), "\n"))
	}
	return out
}

// TestKillAndRestart kills the daemon process for real at the two crash
// points of DESIGN §5 and starts a new one on the same folder.
func TestKillAndRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the daemon as child processes")
	}
	for _, tc := range []struct {
		at          stand.Point
		wantReceipt []string // per receipt: "plain" or "补打"
	}{
		{stand.AfterJournal, []string{"plain"}},
		{stand.AfterPrint, []string{"plain", "补打"}},
	} {
		t.Run(string(tc.at), func(t *testing.T) {
			b := mqtttest.Start(t, mqtttest.Options{Persistent: true})
			id := "stand-kill-1"
			secret := b.AddStand(id)
			cl := mqtttest.NewCloud(t, b)
			dir := t.TempDir()
			args := []string{"-sim", dir, "-broker", b.URL, "-id", id, "-http", "off"}

			first := startChild(t, args, tc.at, secret)
			cl.WaitFor("hello", func() bool { return len(cl.UpsOf(mqtt.KindHello)) == 1 })
			cfg := cl.Send(id, &mqtt.StoreConfig{Version: 1, Bound: true, StoreID: "st_1", StoreName: "老王面馆", QRURL: "https://pay.example.com/s/st_1",
				Announce: mqtt.AnnounceConfig{Enabled: true, Volume: 80}, Print: mqtt.PrintConfig{Enabled: true}}, 0)
			cl.WaitFor("config ack", func() bool { return cl.Acked(cfg.ID) })
			m := cl.Send(id, &mqtt.PaymentPaid{OrderNo: "KILL0001", Channel: mqtt.ChannelWeChat, AmountFen: 4550,
				PaidAt: time.Now().UTC(), StoreID: "st_1"}, 1)
			if code := first.exitCode(t); code != 3 {
				t.Fatalf("first daemon exited %d, want 3 (killed at %s)", code, tc.at)
			}

			second := startChild(t, args, "", secret)
			cl.WaitFor("second hello", func() bool { return len(cl.UpsOf(mqtt.KindHello)) == 2 })
			cl.WaitFor("receipts", func() bool { return len(receiptTexts(t, dir)) == len(tc.wantReceipt) })
			cl.WaitFor("ack", func() bool { return cl.Acked(m.ID) })
			// A marker payment: the daemon handles events and prints in
			// order, so once the marker's receipt is out, anything repeated
			// for KILL0001 (an ack, a print, an announcement) is too.
			marker := cl.Send(id, &mqtt.PaymentPaid{OrderNo: "MARKER01", Channel: mqtt.ChannelWeChat, AmountFen: 1,
				PaidAt: time.Now().UTC(), StoreID: "st_1"}, 2)
			cl.WaitFor("marker ack", func() bool { return cl.Acked(marker.ID) })
			cl.WaitFor("marker receipt", func() bool {
				for _, r := range receiptTexts(t, dir) {
					if strings.Contains(r, "MARKER01") {
						return true
					}
				}
				return false
			})
			second.stdin.Close()
			if code := second.exitCode(t); code != 0 {
				t.Errorf("second daemon exited %d", code)
			}
			var got []string
			for _, r := range receiptTexts(t, dir) {
				if strings.Contains(r, "MARKER01") {
					continue
				}
				if !strings.Contains(r, "KILL0001") {
					t.Errorf("a receipt without the order:\n%s", r)
				}
				if strings.Contains(r, stand.ReprintLabel) {
					got = append(got, "补打")
				} else {
					got = append(got, "plain")
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.wantReceipt, ",") {
				t.Errorf("receipts = %v, want %v", got, tc.wantReceipt)
			}
			files, _ := filepath.Glob(filepath.Join(dir, "announce", "announce-*.txt"))
			var said []string
			for _, f := range files {
				if b, err := os.ReadFile(f); err == nil && !strings.Contains(string(b), "零点零一元") { // not the marker
					said = append(said, string(b))
				}
			}
			if len(said) != 1 {
				t.Errorf("announcements %q, want 1 for KILL0001", said)
			}
			if acks := cl.AckResults(m.ID); len(acks) != 1 {
				t.Errorf("acks = %q, want exactly one", acks)
			}
		})
	}
}
