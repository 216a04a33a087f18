package clock

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestWait(t *testing.T) {
	var calls atomic.Int32
	boot := time.Date(1970, 1, 1, 0, 0, 5, 0, time.UTC)
	real := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
	now := func() time.Time {
		if calls.Add(1) < 4 {
			return boot
		}
		return real
	}
	if err := Wait(context.Background(), Opts{Now: now, Every: time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if n := calls.Load(); n != 4 {
		t.Errorf("clock read %d times, want 4 (wait until sane)", n)
	}
	err := Wait(context.Background(), Opts{Now: func() time.Time { return boot }, Every: time.Millisecond, Max: 20 * time.Millisecond})
	if !errors.Is(err, ErrNotSane) {
		t.Errorf("Wait with a stuck clock = %v, want ErrNotSane", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Wait(ctx, Opts{Now: func() time.Time { return boot }}); !errors.Is(err, context.Canceled) {
		t.Errorf("Wait after cancel = %v", err)
	}
	if !Sane(real) || Sane(time.Date(2023, 12, 31, 23, 0, 0, 0, time.UTC)) {
		t.Error("Sane disagrees with MinYear")
	}
}
