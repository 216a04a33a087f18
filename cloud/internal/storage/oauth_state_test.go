package storage_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/dbtest"
	"github.com/qrstand/qrstand/cloud/internal/storage"
)

// TestOAuthStateUsedOnce: a login state's nonce is recorded once; of
// concurrent uses exactly one wins; the record is a session row of its
// own kind that grants nothing and goes with the expired sessions.
func TestOAuthStateUsedOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *storage.Storage) {
		ctx := context.Background()
		const nonce = "00112233445566778899aabbccddee"
		expires := t0.Add(10 * time.Minute)
		if used, err := s.OAuthStateUsed(ctx, nonce); err != nil || used {
			t.Fatalf("before use: %v %v", used, err)
		}
		if won := concurrentWins(t, 8, storage.ErrConflict, func() error { return s.UseOAuthState(ctx, nonce, expires, t0) }); won != 1 {
			t.Fatalf("%d concurrent uses won, want 1", won)
		}
		if used, err := s.OAuthStateUsed(ctx, nonce); err != nil || !used {
			t.Errorf("after use: %v %v", used, err)
		}
		if used, err := s.OAuthStateUsed(ctx, nonce+"0"); err != nil || used {
			t.Errorf("another nonce: %v %v", used, err)
		}
		// The row is no session of any kind, and no login state either.
		for _, kind := range []string{storage.SessionWeChat, storage.SessionConsole} {
			if _, err := s.SessionSubject(ctx, kind, nonce, t0); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("the used nonce as a %s session: %v", kind, err)
			}
		}
		if n, err := s.DeleteExpiredSessions(ctx, expires.Add(-time.Second)); err != nil || n != 0 {
			t.Errorf("before expiry: %d deleted, %v", n, err)
		}
		if n, err := s.DeleteExpiredSessions(ctx, expires); err != nil || n != 1 {
			t.Errorf("at expiry: %d deleted, %v; want 1", n, err)
		}
		if used, err := s.OAuthStateUsed(ctx, nonce); err != nil || used {
			t.Errorf("after expiry: %v %v", used, err)
		}
	})
}

// concurrentWins runs try n times at once and counts the nil errors; any
// error but lost fails t.
func concurrentWins(t *testing.T, n int, lost error, try func() error) int {
	t.Helper()
	errs := make(chan error, n)
	for range n {
		go func() { errs <- try() }()
	}
	won := 0
	for range n {
		if err := <-errs; err == nil {
			won++
		} else if !errors.Is(err, lost) {
			t.Errorf("concurrent try: %v", err)
		}
	}
	return won
}
