package ui

import (
	"sync"
	"time"
)

// limiter counts failed console logins per key (user and address) in a
// fixed window; at the limit further attempts are refused until the window
// passes, whether the password is right or not.
type limiter struct {
	max    int
	window time.Duration
	mu     sync.Mutex
	fails  map[string]*window
}

type window struct {
	start time.Time
	n     int
}

func newLimiter(max int, w time.Duration) *limiter {
	return &limiter{max: max, window: w, fails: map[string]*window{}}
}

// Allowed reports whether key may try now.
func (l *limiter) Allowed(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	w, ok := l.fails[key]
	if !ok || now.Sub(w.start) >= l.window {
		return true
	}
	return w.n < l.max
}

// Fail records a failed attempt.
func (l *limiter) Fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.fails) > 100000 { // bound memory under a flood
		for k, w := range l.fails {
			if now.Sub(w.start) >= l.window {
				delete(l.fails, k)
			}
		}
	}
	w, ok := l.fails[key]
	if !ok || now.Sub(w.start) >= l.window {
		l.fails[key] = &window{start: now, n: 1}
		return
	}
	w.n++
}

// Reset forgets key after a successful login.
func (l *limiter) Reset(key string) {
	l.mu.Lock()
	delete(l.fails, key)
	l.mu.Unlock()
}
