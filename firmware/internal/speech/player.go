package speech

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// Player plays one WAV file and returns when it has finished (or ctx ends).
type Player interface {
	Play(ctx context.Context, wav []byte) error
}

// APlay plays through ALSA by running aplay with the WAV on its stdin. Its
// zero value plays on the "default" device with the aplay found in PATH.
type APlay struct {
	// Device is the ALSA PCM name (aplay -D), e.g. "default", "plughw:1,0"
	// or "null". Empty means "default".
	Device string
	// Path is the aplay binary. Empty means "aplay" from PATH.
	Path string
}

// Play runs `aplay -q -D Device -t wav -` and waits for it. Cancelling ctx
// kills aplay (the rest of the announcement is cut off).
func (a APlay) Play(ctx context.Context, wav []byte) error {
	path, dev := a.Path, a.Device
	if path == "" {
		path = "aplay"
	}
	if dev == "" {
		dev = "default"
	}
	cmd := exec.CommandContext(ctx, path, "-q", "-D", dev, "-t", "wav", "-")
	cmd.Stdin = bytes.NewReader(wav)
	// If aplay leaves a child holding stderr, do not wait on it forever.
	cmd.WaitDelay = time.Second
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("speech: aplay on %q: %w", dev, ctx.Err())
		}
		return fmt.Errorf("speech: aplay on %q: %w: %s", dev, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}
