package clock

import "time"

// Clock tells the time. The stand and the daemon take one so that a test
// can set the wall clock (quiet hours, event ages) in one place; durations
// measured with it keep the monotonic reading of the real clock.
//
// Timers stay on the time package: a test that needs to move them runs in
// testing/synctest, which fakes timers and time.Now together.
type Clock interface {
	Now() time.Time
}

// Real is the system clock.
type Real struct{}

// Now returns time.Now().
func (Real) Now() time.Time { return time.Now() }

// Func adapts a function to a Clock.
type Func func() time.Time

// Now returns f().
func (f Func) Now() time.Time { return f() }
