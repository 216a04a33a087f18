package mqtttest

import (
	"testing"
	"time"
)

// Wait bounds every wait of this package's helpers and fakes: long enough
// for a loaded CI machine, and only ever spent when a test fails.
const Wait = 20 * time.Second

// WaitFor polls cond until it holds, failing t after Wait. It waits for a
// fact, never for time: to prove that something did not happen, make an
// event that is processed after it (a marker) and wait for that.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	WaitForWithin(t, what, Wait, cond)
}

// WaitForWithin is WaitFor with its own bound d.
func WaitForWithin(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond) // polling a fact, not waiting for one
	}
}
