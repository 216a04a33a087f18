package buttons

import (
	"context"
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
)

// TestDebouncedPresses: a bouncing press counts once, a release counts
// nothing, two buttons are told apart, and Run stops when ctx ends.
func TestDebouncedPresses(t *testing.T) {
	repeat := &gpiotest.Pin{N: "GPIO5", Num: 5, EdgesChan: make(chan gpio.Level, 16)}
	volume := &gpiotest.Pin{N: "GPIO19", Num: 19, EdgesChan: make(chan gpio.Level, 16)}
	var mu sync.Mutex
	got := map[string]int{}
	press := func(name string) func(context.Context) error {
		return func(context.Context) error {
			mu.Lock()
			got[name]++
			mu.Unlock()
			return nil
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, []Button{
			{Name: "repeat", Pin: repeat, Press: press("repeat")},
			{Name: "volume", Pin: volume, Press: press("volume")},
		}, Opts{Debounce: 20 * time.Millisecond, Idle: 50 * time.Millisecond})
	}()
	count := func(name string) int {
		mu.Lock()
		defer mu.Unlock()
		return got[name]
	}
	waitCount := func(name string, n int) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for count(name) < n {
			if time.Now().After(deadline) {
				t.Fatalf("%s pressed %d times, want %d", name, count(name), n)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	time.Sleep(20 * time.Millisecond) // In() flushes edges; let Run get there

	// A press that bounces: low, high, low within the debounce time.
	for _, l := range []gpio.Level{gpio.Low, gpio.High, gpio.Low} {
		repeat.EdgesChan <- l
	}
	waitCount("repeat", 1)
	repeat.EdgesChan <- gpio.High // release
	time.Sleep(60 * time.Millisecond)

	volume.EdgesChan <- gpio.Low
	waitCount("volume", 1)
	volume.EdgesChan <- gpio.High

	repeat.EdgesChan <- gpio.Low
	waitCount("repeat", 2)
	repeat.EdgesChan <- gpio.High
	time.Sleep(100 * time.Millisecond)

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop")
	}
	if count("repeat") != 2 || count("volume") != 1 {
		t.Errorf("presses = %v, want repeat 2, volume 1", got)
	}
	if repeat.Pull() != gpio.PullUp {
		t.Errorf("pull = %v, want PullUp", repeat.Pull())
	}
}
