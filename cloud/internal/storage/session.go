package storage

import (
	"context"
	"fmt"
	"time"
)

// Session kinds.
const (
	SessionConsole = "console" // subject: console user id
	SessionWeChat  = "wechat"  // subject: openid; app_id: its official account ("" is the deployment's)
)

// CreateSession stores a new session and returns its bearer token; only the
// token's hash is stored.
func (s *Storage) CreateSession(ctx context.Context, kind, subject string, ttl time.Duration, now time.Time) (string, error) {
	token := NewToken()
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO sessions (token_hash, kind, subject, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`),
		HashSecret(token), kind, subject, ts(now), ts(now.Add(ttl)))
	if err != nil {
		return "", fmt.Errorf("storage: create session: %w", err)
	}
	return token, nil
}

// SessionSubject returns the subject of a live session of the given kind.
func (s *Storage) SessionSubject(ctx context.Context, kind, token string, now time.Time) (string, error) {
	var subject, expires string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT subject, expires_at FROM sessions WHERE token_hash = ? AND kind = ?`), HashSecret(token), kind).
		Scan(&subject, &expires)
	if err != nil {
		return "", fmt.Errorf("storage: session: %w", notFound(err))
	}
	if !now.Before(parseTS(expires)) {
		return "", fmt.Errorf("storage: session expired: %w", ErrNotFound)
	}
	return subject, nil
}

// CreateWeChatSession stores a session of the WeChat user openid of the
// official account appID ("" is the deployment's).
func (s *Storage) CreateWeChatSession(ctx context.Context, appID, openid string, ttl time.Duration, now time.Time) (string, error) {
	token := NewToken()
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO sessions (token_hash, kind, subject, app_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`),
		HashSecret(token), SessionWeChat, openid, appID, ts(now), ts(now.Add(ttl)))
	if err != nil {
		return "", fmt.Errorf("storage: create session: %w", err)
	}
	return token, nil
}

// WeChatSession returns the official account and openid of a live WeChat
// session.
func (s *Storage) WeChatSession(ctx context.Context, token string, now time.Time) (appID, openid string, err error) {
	var expires string
	err = s.db.QueryRowContext(ctx, s.q(`SELECT app_id, subject, expires_at FROM sessions WHERE token_hash = ? AND kind = ?`), HashSecret(token), SessionWeChat).
		Scan(&appID, &openid, &expires)
	if err != nil {
		return "", "", fmt.Errorf("storage: session: %w", notFound(err))
	}
	if !now.Before(parseTS(expires)) {
		return "", "", fmt.Errorf("storage: session expired: %w", ErrNotFound)
	}
	return appID, openid, nil
}

// DeleteSession ends a session.
func (s *Storage) DeleteSession(ctx context.Context, token string) error {
	if _, err := s.db.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE token_hash = ?`), HashSecret(token)); err != nil {
		return fmt.Errorf("storage: delete session: %w", err)
	}
	return nil
}

// DeleteExpiredSessions removes sessions that expired before now.
func (s *Storage) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE expires_at <= ?`), ts(now))
	if err != nil {
		return 0, fmt.Errorf("storage: delete expired sessions: %w", err)
	}
	return res.RowsAffected()
}
