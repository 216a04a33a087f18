package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// SessionOAuthUsed rows record the nonces of OAuth states already used;
// they expire with their state.
const SessionOAuthUsed = "oauth-used"

// Sign MACs msg for purpose under the deployment's secret key, the one
// that seals provider secrets: every cloud node has it, so a token signed
// on one node verifies on another.
func (s *Storage) Sign(purpose string, msg []byte) []byte { return s.box.Sign(purpose, msg) }

// oauthUsedKey is the row's key: a nonce is random, and hashed like every
// token so that a row can never be taken for a session.
func oauthUsedKey(nonce string) string { return HashSecret("oauth-used\x00" + nonce) }

// UseOAuthState records that the OAuth state with nonce was used; the
// record lasts until the state's own expiry. Of two uses, however
// concurrent, the second gets ErrConflict.
func (s *Storage) UseOAuthState(ctx context.Context, nonce string, expires, now time.Time) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO sessions (token_hash, kind, subject, created_at, expires_at) VALUES (?, ?, '', ?, ?)`),
		oauthUsedKey(nonce), SessionOAuthUsed, ts(now), ts(expires))
	if err != nil && isUniqueViolation(err) {
		return fmt.Errorf("storage: oauth state already used: %w", ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("storage: use oauth state: %w", err)
	}
	return nil
}

// OAuthStateUsed reports whether UseOAuthState recorded nonce (a record
// past its expiry that was not yet deleted still counts: the state
// itself has expired by then).
func (s *Storage) OAuthStateUsed(ctx context.Context, nonce string) (bool, error) {
	var one int
	err := s.db.QueryRowContext(ctx, s.q(`SELECT 1 FROM sessions WHERE token_hash = ? AND kind = ?`), oauthUsedKey(nonce), SessionOAuthUsed).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("storage: oauth state used: %w", err)
	}
	return true, nil
}
