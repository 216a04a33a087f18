package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qrstand/qrstand/firmware/internal/speech"
	"github.com/qrstand/qrstand/printer/escpos"
)

func noenv(string) string { return "" }

func TestSay(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out.wav")
	var stdout bytes.Buffer
	if err := run(context.Background(), []string{"say", "12.50", "-o", out}, &stdout, io.Discard, noenv); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(stdout.String()); got != "微信收款十二点五元" {
		t.Errorf("say printed %q", got)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if f, pcm, err := speech.DecodeWAV(b); err != nil || f != speech.DefaultFormat || len(pcm) == 0 {
		t.Errorf("WAV: %v %v %d bytes", f, err, len(pcm))
	}
	if err := run(context.Background(), []string{"say", "12.505", "-o", out}, io.Discard, io.Discard, noenv); err == nil {
		t.Error("say 12.505: no error")
	}
	stdout.Reset()
	if err := run(context.Background(), []string{"say", "-channel", "none", "0.01", "-o", out}, &stdout, io.Discard, noenv); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(stdout.String()); got != "零点零一元" {
		t.Errorf("say -channel none 0.01 printed %q", got)
	}
}

// TestServiceCommands: print-test, show and status on a simulated stand's
// folder.
func TestServiceCommands(t *testing.T) {
	dir := t.TempDir()
	base := []string{"-sim", dir, "-id", "stand-cmd-1", "-secret", "x"}
	var stdout bytes.Buffer
	if err := run(context.Background(), append([]string{"print-test"}, base...), &stdout, io.Discard, noenv); err != nil {
		t.Fatal(err)
	}
	bins, _ := filepath.Glob(filepath.Join(dir, "receipts", "receipt-*.bin"))
	if len(bins) != 1 {
		t.Fatalf("%d receipts after print-test, want 1", len(bins))
	}
	b, _ := os.ReadFile(bins[0])
	if text := strings.Join(escpos.Lines(escpos.Decode(b)), "\n"); !strings.Contains(text, "stand-cmd-1") {
		t.Errorf("test page does not name the stand:\n%s", text)
	}

	png := filepath.Join(t.TempDir(), "screen.png")
	if err := run(context.Background(), append([]string{"show", "-o", png}, base...), io.Discard, io.Discard, noenv); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(png); err != nil || st.Size() == 0 {
		t.Errorf("show -o wrote nothing: %v", err)
	}
	if err := run(context.Background(), append([]string{"show"}, base...), io.Discard, io.Discard, noenv); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "frames", "current.png")); err != nil {
		t.Errorf("show drew no frame on the sim panel: %v", err)
	}

	stdout.Reset()
	if err := run(context.Background(), append([]string{"status"}, base...), &stdout, io.Discard, noenv); err != nil {
		t.Fatal(err)
	}
	var st struct {
		Device string `json:"device"`
		Paired bool   `json:"paired"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &st); err != nil || st.Device != "stand-cmd-1" || st.Paired {
		t.Errorf("status = %s (%v)", stdout.String(), err)
	}
	if err := run(context.Background(), []string{"frobnicate"}, io.Discard, io.Discard, noenv); err == nil {
		t.Error("unknown command: no error")
	}
}
