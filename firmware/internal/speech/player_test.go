package speech

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qrstand/qrstand/mqtt/mqtttest"
)

// fakeAplay writes a shell script standing in for aplay: it records its
// arguments and stdin in dir, then runs tail (e.g. "exit 0").
func fakeAplay(t *testing.T, dir, tail string) string {
	t.Helper()
	path := filepath.Join(dir, "aplay")
	script := "#!/bin/sh\necho \"$@\" > " + filepath.Join(dir, "args") + "\ncat > " + filepath.Join(dir, "stdin") + "\n" + tail + "\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestAPlayRunsAplay(t *testing.T) {
	dir := t.TempDir()
	a := APlay{Device: "plughw:1,0", Path: fakeAplay(t, dir, "exit 0")}
	wav := EncodeWAV(DefaultFormat, []byte{1, 2, 3, 4})
	if err := a.Play(context.Background(), wav); err != nil {
		t.Fatal(err)
	}
	args, _ := os.ReadFile(filepath.Join(dir, "args"))
	if got, want := strings.TrimSpace(string(args)), "-q -D plughw:1,0 -t wav -"; got != want {
		t.Errorf("aplay args %q, want %q", got, want)
	}
	stdin, _ := os.ReadFile(filepath.Join(dir, "stdin"))
	if !bytes.Equal(stdin, wav) {
		t.Errorf("aplay got %d bytes on stdin, want the %d-byte wav", len(stdin), len(wav))
	}
}

func TestAPlayDefaultDevice(t *testing.T) {
	dir := t.TempDir()
	a := APlay{Path: fakeAplay(t, dir, "exit 0")}
	if err := a.Play(context.Background(), EncodeWAV(DefaultFormat, nil)); err != nil {
		t.Fatal(err)
	}
	args, _ := os.ReadFile(filepath.Join(dir, "args"))
	if !strings.Contains(string(args), "-D default ") {
		t.Errorf("aplay args %q, want device default", args)
	}
}

func TestAPlayReportsFailure(t *testing.T) {
	dir := t.TempDir()
	a := APlay{Device: "hw:9", Path: fakeAplay(t, dir, "echo 'audio open error: No such device' >&2; exit 1")}
	err := a.Play(context.Background(), EncodeWAV(DefaultFormat, nil))
	if err == nil || !strings.Contains(err.Error(), "audio open error") || !strings.Contains(err.Error(), `"hw:9"`) {
		t.Fatalf("error = %v, want aplay's stderr and the device", err)
	}
}

func TestAPlayCancel(t *testing.T) {
	dir := t.TempDir()
	a := APlay{Path: fakeAplay(t, dir, "exec sleep 30")}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Play(ctx, EncodeWAV(DefaultFormat, nil)) }()
	// Wait until the fake is running (it has read stdin), then cancel.
	mqtttest.WaitFor(t, "the fake aplay running", func() bool {
		_, err := os.Stat(filepath.Join(dir, "args"))
		return err == nil
	})
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
}

// TestAPlayReal plays through the real aplay on ALSA's "null" device, which
// needs no sound card.
func TestAPlayReal(t *testing.T) {
	path := requireTool(t, "aplay", "alsa-utils")
	p, err := DefaultPack()
	if err != nil {
		t.Fatal(err)
	}
	u, err := Payment(ChannelWeChat, 1250, TwoEr)
	if err != nil {
		t.Fatal(err)
	}
	w, err := p.Synthesize(u.Tokens, 80)
	if err != nil {
		t.Fatal(err)
	}
	if err := (APlay{Device: "null", Path: path}).Play(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	err = (APlay{Device: "no-such-device", Path: path}).Play(context.Background(), w)
	if err == nil || !strings.Contains(err.Error(), "no-such-device") {
		t.Fatalf("unknown device: error = %v", err)
	}
}
