package storage_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/dbtest"
	"github.com/qrstand/qrstand/cloud/internal/storage"
)

// Concurrent attempts (several nodes, or one attacker's parallel requests)
// cannot slip past a cap: exactly PairAttempts of them are allowed, on both
// engines, and a successful login gives its count back.
func TestLoginAttemptConcurrent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, st *storage.Storage) {
		p := storage.DefaultLoginPolicy
		now := time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)
		ctx := context.Background()
		var mu sync.Mutex
		allowed := 0
		var wg sync.WaitGroup
		// Open the connections first and start every attempt at once, so
		// they really overlap.
		st.DB().SetMaxIdleConns(3 * p.PairAttempts)
		for range 3 * p.PairAttempts {
			wg.Go(func() {
				if _, err := st.DB().ExecContext(ctx, `SELECT 1`); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		start := make(chan struct{})
		for range 3 * p.PairAttempts {
			wg.Go(func() {
				<-start
				v, err := st.LoginAttempt(ctx, p, "198.51.100.1", "op", now)
				if err != nil {
					t.Error(err)
					return
				}
				if v.Allow {
					mu.Lock()
					allowed++
					mu.Unlock()
				}
			})
		}
		close(start)
		wg.Wait()
		if allowed != p.PairAttempts {
			t.Fatalf("%d concurrent attempts allowed, want exactly %d", allowed, p.PairAttempts)
		}
		// Another username from the same address still has room under the
		// address cap; a success there gives its count back.
		for i := range p.AddrAttempts - p.PairAttempts {
			v, err := st.LoginAttempt(ctx, p, "198.51.100.1", "user"+string(rune('a'+i%26))+string(rune('a'+i/26)), now)
			if err != nil || !v.Allow {
				t.Fatalf("attempt %d under the address cap: %+v %v", i, v, err)
			}
		}
		if v, _ := st.LoginAttempt(ctx, p, "198.51.100.1", "someone", now); v.Allow || v.Reason != "address" {
			t.Fatalf("over the address cap: %+v", v)
		}
		if err := st.LoginSucceeded(ctx, p, "198.51.100.1", "usera"+"a", now); err != nil {
			t.Fatal(err)
		}
		if v, _ := st.LoginAttempt(ctx, p, "198.51.100.1", "someone", now); !v.Allow {
			t.Fatalf("a success did not give its count back: %+v", v)
		}
	})
}
