// Package buttons reads the stand's push buttons (repeat last, reprint,
// today's total, volume) from GPIO through periph.io/x/conn/v3/gpio: each
// button pulls up and closes to ground, edges are waited for (no polling
// loop) and debounced by reading the level again after the contacts have
// settled.
package buttons

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"
)

// Button is one input and what it does.
type Button struct {
	Name  string
	Pin   gpio.PinIn
	Press func(ctx context.Context) error
}

// Opts configure Run.
type Opts struct {
	// Debounce is how long the contacts get to settle; default 30 ms.
	Debounce time.Duration
	// Idle bounds each edge wait so a stop is noticed even on pin drivers
	// whose Halt does not end a wait; default 30 s (two wakeups a minute
	// per button when nothing happens).
	Idle time.Duration
	Log  *slog.Logger
}

// Run watches every button until ctx ends. Press functions run one at a
// time, in the watching goroutine of their button.
func Run(ctx context.Context, bs []Button, o Opts) error {
	if o.Debounce <= 0 {
		o.Debounce = 30 * time.Millisecond
	}
	if o.Idle <= 0 {
		o.Idle = 30 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	for _, b := range bs {
		if err := b.Pin.In(gpio.PullUp, gpio.BothEdges); err != nil {
			return fmt.Errorf("buttons: %s on %s: %w", b.Name, b.Pin, err)
		}
	}
	var mu sync.Mutex // one press action at a time
	var wg sync.WaitGroup
	for _, b := range bs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			watch(ctx, b, o, &mu)
		}()
	}
	<-ctx.Done()
	for _, b := range bs {
		_ = b.Pin.Halt() // ends a pending WaitForEdge on real pins
	}
	wg.Wait()
	return nil
}

func watch(ctx context.Context, b Button, o Opts, mu *sync.Mutex) {
	down := false
	for ctx.Err() == nil {
		if !b.Pin.WaitForEdge(o.Idle) {
			continue
		}
		// Let the contacts settle, then trust the level, not the edge.
		select {
		case <-ctx.Done():
			return
		case <-time.After(o.Debounce):
		}
		// Edges of the bounce queued meanwhile say nothing new: drain them
		// (a short timeout, not 0, so a queued edge always wins).
		for i := 0; i < 64 && b.Pin.WaitForEdge(time.Millisecond); i++ {
		}
		pressed := b.Pin.Read() == gpio.Low
		if pressed == down {
			continue // a bounce, or the release of a press already counted
		}
		down = pressed
		if !pressed {
			continue
		}
		o.Log.Info("buttons: press", "button", b.Name)
		mu.Lock()
		err := b.Press(ctx)
		mu.Unlock()
		if err != nil {
			o.Log.Warn("buttons: action failed", "button", b.Name, "err", err)
		}
	}
}
