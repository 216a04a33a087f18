package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/database"
)

// LoginPolicy is the console login limiter's policy. Its state lives in the
// login_limits table, so every cloud node sharing the database enforces one
// limit. Three counters, each over a fixed Window, count password checks:
//
//   - per address, across usernames (AddrAttempts): one address cannot
//     spray passwords over many accounts. Over the cap, that address gets
//     no password checked until its window ends. Only the address that
//     misbehaved (and whoever shares its NAT) waits.
//   - per address and username (PairAttempts): one address cannot keep
//     guessing one account. Over the cap, that address cannot try that
//     username; every other address still can, so an attacker cannot lock
//     the real user out from where the real user is.
//   - per username, across addresses (UserAttempts): a username attacked
//     from many addresses is slowed, never locked: from then on each
//     address gets one password check per UserDelay (doubling with the
//     attack, at most MaxUserDelay) for that username. A first attempt from
//     a fresh address is answered "wait, then submit again"; after the wait
//     the right password logs in. An attacker with N addresses gets N
//     checks per delay, and still at most PairAttempts per address.
//
// A check is counted when it is allowed, before the password is compared,
// so concurrent attempts cannot slip past a cap; a successful login gives
// its count back (and clears its address+username row). Keys are stored
// hashed: a username field sometimes holds a mistyped password.
type LoginPolicy struct {
	Window       time.Duration
	AddrAttempts int
	PairAttempts int
	UserAttempts int
	UserDelay    time.Duration
	MaxUserDelay time.Duration
}

// DefaultLoginPolicy: 15 min windows; 20 checks per address, 5 per
// address and username; after 10 checks of one username the 30 s (up to
// 2 min) wait per address.
var DefaultLoginPolicy = LoginPolicy{Window: 15 * time.Minute, AddrAttempts: 20, PairAttempts: 5, UserAttempts: 10,
	UserDelay: 30 * time.Second, MaxUserDelay: 2 * time.Minute}

// LoginVerdict says whether a login attempt may have its password checked.
type LoginVerdict struct {
	Allow bool
	// Reason when refused: "address", "pair" or "slowdown".
	Reason string
	// Wait is how long until an attempt can be checked again.
	Wait time.Duration
}

type limitRow struct {
	key    string
	start  time.Time
	n      int
	nextAt time.Time
}

func (p LoginPolicy) keys(addr, user string) (a, pair, u string) {
	return HashSecret("addr\x00" + addr), HashSecret("pair\x00" + addr + "\x00" + user), HashSecret("user\x00" + user)
}

// loadLimit reads and locks a limiter row, creating it first so that
// concurrent attempts on PostgreSQL queue on the row lock instead of each
// finding no row (SQLite's immediate transactions serialize anyway). An
// expired row reads as a fresh window starting now.
func (s *Storage) loadLimit(ctx context.Context, tx *sql.Tx, p LoginPolicy, key string, now time.Time) (limitRow, error) {
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO login_limits (key_hash, window_start, attempts, next_at) VALUES (?, ?, 0, '')
		ON CONFLICT (key_hash) DO NOTHING`), key, ts(now)); err != nil {
		return limitRow{}, err
	}
	q := `SELECT window_start, attempts, next_at FROM login_limits WHERE key_hash = ?`
	if s.dialect == database.Postgres {
		q += ` FOR UPDATE`
	}
	var start, next string
	r := limitRow{key: key}
	if err := tx.QueryRowContext(ctx, s.q(q), key).Scan(&start, &r.n, &next); err != nil {
		return r, err
	}
	r.start = parseTS(start)
	if next != "" {
		r.nextAt = parseTS(next)
	}
	if !now.Before(r.start.Add(p.Window)) {
		r.start, r.n, r.nextAt = now, 0, time.Time{}
	}
	return r, nil
}

func (s *Storage) saveLimit(ctx context.Context, tx *sql.Tx, r limitRow) error {
	next := ""
	if !r.nextAt.IsZero() {
		next = ts(r.nextAt)
	}
	_, err := tx.ExecContext(ctx, s.q(`UPDATE login_limits SET window_start = ?, attempts = ?, next_at = ? WHERE key_hash = ?`),
		ts(r.start), r.n, next, r.key)
	return err
}

// LoginAttempt decides whether a console login from addr for user may have
// its password checked now, and if so counts it. See LoginPolicy.
func (s *Storage) LoginAttempt(ctx context.Context, p LoginPolicy, addr, user string, now time.Time) (LoginVerdict, error) {
	var v LoginVerdict
	ak, pk, uk := p.keys(addr, user)
	err := s.tx(ctx, func(tx *sql.Tx) error {
		a, err := s.loadLimit(ctx, tx, p, ak, now)
		if err != nil {
			return err
		}
		if a.n >= p.AddrAttempts {
			v = LoginVerdict{Reason: "address", Wait: a.start.Add(p.Window).Sub(now)}
			return nil
		}
		pair, err := s.loadLimit(ctx, tx, p, pk, now)
		if err != nil {
			return err
		}
		if pair.n >= p.PairAttempts {
			v = LoginVerdict{Reason: "pair", Wait: pair.start.Add(p.Window).Sub(now)}
			return nil
		}
		u, err := s.loadLimit(ctx, tx, p, uk, now)
		if err != nil {
			return err
		}
		if u.n >= p.UserAttempts {
			delay := p.delay(u.n)
			switch {
			case pair.nextAt.IsZero():
				// A fresh address: start its wait, check nothing yet.
				pair.nextAt = now.Add(delay)
				v = LoginVerdict{Reason: "slowdown", Wait: delay}
				return s.saveLimit(ctx, tx, pair)
			case now.Before(pair.nextAt):
				// Early again: the same wait, not a longer one.
				v = LoginVerdict{Reason: "slowdown", Wait: pair.nextAt.Sub(now)}
				return nil
			}
			pair.nextAt = now.Add(delay)
		}
		a.n++
		pair.n++
		u.n++
		for _, r := range []limitRow{a, pair, u} {
			if err := s.saveLimit(ctx, tx, r); err != nil {
				return err
			}
		}
		v = LoginVerdict{Allow: true}
		return nil
	})
	if err != nil {
		return LoginVerdict{}, fmt.Errorf("storage: login attempt: %w", err)
	}
	return v, nil
}

// delay is the slowdown's wait when n checks of a username were counted:
// UserDelay, doubled for every further UserAttempts, at most MaxUserDelay.
func (p LoginPolicy) delay(n int) time.Duration {
	d := p.UserDelay
	for k := (n - p.UserAttempts) / max(p.UserAttempts, 1); k > 0 && d < p.MaxUserDelay; k-- {
		d *= 2
	}
	return min(d, p.MaxUserDelay)
}

// LoginSucceeded gives back the count of a successful login and forgets
// its address+username row (its wait included).
func (s *Storage) LoginSucceeded(ctx context.Context, p LoginPolicy, addr, user string, now time.Time) error {
	ak, pk, uk := p.keys(addr, user)
	// Rows are touched in LoginAttempt's order (address, pair, user), so
	// the two cannot deadlock on PostgreSQL.
	err := s.tx(ctx, func(tx *sql.Tx) error {
		giveBack := s.q(`UPDATE login_limits SET attempts = attempts - 1 WHERE key_hash = ? AND attempts > 0 AND window_start > ?`)
		if _, err := tx.ExecContext(ctx, giveBack, ak, ts(now.Add(-p.Window))); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM login_limits WHERE key_hash = ?`), pk); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, giveBack, uk, ts(now.Add(-p.Window)))
		return err
	})
	if err != nil {
		return fmt.Errorf("storage: login succeeded: %w", err)
	}
	return nil
}

// DeleteExpiredLoginLimits removes limiter rows whose window ended before
// now (a sweep; expired rows already read as fresh).
func (s *Storage) DeleteExpiredLoginLimits(ctx context.Context, p LoginPolicy, now time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM login_limits WHERE window_start <= ?`), ts(now.Add(-p.Window-p.MaxUserDelay)))
	if err != nil {
		return 0, fmt.Errorf("storage: delete expired login limits: %w", err)
	}
	return res.RowsAffected()
}
