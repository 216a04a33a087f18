// Package clock is the stand's source of time (Clock) and waits for a
// sane wall clock at boot. A Raspberry Pi has no RTC and starts in 1970 (or
// at the last fake-hwclock save) until NTP has answered; TLS certificates and journal timestamps need the real time, so
// the daemon waits here first (the habit of gokrazy's wait.go).
package clock

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// MinYear is the first year the stand accepts as real.
const MinYear = 2024

// Sane reports whether t can be the real time.
func Sane(t time.Time) bool { return t.Year() >= MinYear }

// Opts configure Wait.
type Opts struct {
	Now   func() time.Time // default time.Now
	Every time.Duration    // how often to look; default 1 s
	// Max bounds the wait; 0 waits until ctx ends.
	Max time.Duration
	Log *slog.Logger
}

// ErrNotSane is returned when Max passed and the clock is still wrong.
var ErrNotSane = fmt.Errorf("clock: no sane time (year >= %d)", MinYear)

// Wait returns when the clock reads a sane time, when Max has passed
// (ErrNotSane) or when ctx ends.
func Wait(ctx context.Context, o Opts) error {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Every <= 0 {
		o.Every = time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if Sane(o.Now()) {
		return nil
	}
	o.Log.Warn("clock: waiting for a sane time", "now", o.Now())
	t := time.NewTicker(o.Every)
	defer t.Stop()
	var limit <-chan time.Time
	if o.Max > 0 {
		lt := time.NewTimer(o.Max)
		defer lt.Stop()
		limit = lt.C
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-limit:
			return ErrNotSane
		case <-t.C:
			if now := o.Now(); Sane(now) {
				o.Log.Info("clock: time is sane", "now", now)
				return nil
			}
		}
	}
}
