package buttons

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
)

// TestDebouncedPresses: a bouncing press counts once, a glitch while held
// and a release count nothing, two buttons are told apart, and Run stops when ctx ends. It runs
// in a synctest bubble: the debounce and idle timers run on the bubble's
// clock, so a step lets time pass by sleeping on that clock (no real time
// passes) and synctest.Wait says when the watchers have settled.
func TestDebouncedPresses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
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
		const debounce = 20 * time.Millisecond
		ctx, cancel := context.WithCancel(context.Background())
		var runErr error
		stopped := make(chan struct{})
		go func() {
			defer close(stopped)
			runErr = Run(ctx, []Button{
				{Name: "repeat", Pin: repeat, Press: press("repeat")},
				{Name: "volume", Pin: volume, Press: press("volume")},
			}, Opts{Debounce: debounce, Idle: 50 * time.Millisecond})
		}()
		t.Cleanup(func() { cancel(); <-stopped }) // a failed step still ends Run inside the bubble
		// settle lets the debounce and the drain pass on the bubble's clock
		// and waits until every watcher waits for its next edge.
		settle := func() {
			time.Sleep(3 * debounce)
			synctest.Wait()
		}
		want := func(step string, repeats, volumes int) {
			t.Helper()
			mu.Lock()
			defer mu.Unlock()
			if got["repeat"] != repeats || got["volume"] != volumes {
				t.Fatalf("%s: presses %v, want repeat %d, volume %d", step, got, repeats, volumes)
			}
		}
		synctest.Wait() // Run has set the pins up (In flushes edges) and watches

		// A press that bounces: low, high, low, 5 ms apart, within the
		// debounce time.
		for i, l := range []gpio.Level{gpio.Low, gpio.High, gpio.Low} {
			if i > 0 {
				time.Sleep(debounce / 4)
			}
			repeat.EdgesChan <- l
		}
		settle()
		want("a bouncing press", 1, 0)
		// A glitch while it is held (high and back within the debounce
		// time) is not another press.
		repeat.EdgesChan <- gpio.High
		time.Sleep(debounce / 4)
		repeat.EdgesChan <- gpio.Low
		settle()
		want("a glitch while held", 1, 0)
		repeat.EdgesChan <- gpio.High // release
		settle()
		want("its release", 1, 0)

		volume.EdgesChan <- gpio.Low
		settle()
		want("the other button", 1, 1)
		volume.EdgesChan <- gpio.High

		repeat.EdgesChan <- gpio.Low
		settle()
		want("a second press", 2, 1)
		repeat.EdgesChan <- gpio.High
		settle()

		cancel()
		<-stopped
		if runErr != nil {
			t.Fatal(runErr)
		}
		want("after Run", 2, 1)
		if repeat.Pull() != gpio.PullUp {
			t.Errorf("pull = %v, want PullUp", repeat.Pull())
		}
	})
}
