package storage

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/database"
	"github.com/qrstand/qrstand/cloud/internal/secretbox"
	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/biz"
)

// Errors callers branch on.
var (
	ErrNotFound        = errors.New("storage: not found")
	ErrConflict        = errors.New("storage: already exists")
	ErrLastRefundAdmin = errors.New("storage: the last refund-capable admin cannot be removed")
	ErrRefundRole      = errors.New("storage: only managers and admins can hold the refund permission")
	ErrCodeUnknown     = errors.New("storage: activation code unknown")
	ErrCodeUsed        = errors.New("storage: activation code already used")
	ErrCodeExpired     = errors.New("storage: activation code expired")
	ErrCodeWrongRole   = errors.New("storage: activation code is for another role")
	ErrCodeWrongScope  = errors.New("storage: activation code is for another merchant or store")
	ErrRoleHeld        = errors.New("storage: this WeChat user already holds the role")
	ErrPlateBound      = errors.New("storage: plate already bound")
	ErrPairCode        = errors.New("storage: pairing code wrong or expired")
	ErrNotClerk        = errors.New("storage: not an active clerk of this store")
	ErrNotOnShift      = errors.New("storage: not on shift")
)

// Storage is the cloud's storage API. It is safe for concurrent use.
type Storage struct {
	db      *sql.DB
	dialect database.Dialect
	box     *secretbox.Box
	node    string       // the cloud node claims are recorded for (ForNode)
	paid    *paidBatcher // group commit of MarkPaid
}

// New wraps an open, migrated database. box seals provider secrets.
func New(db *sql.DB, d database.Dialect, box *secretbox.Box) *Storage {
	s := &Storage{db: db, dialect: d, box: box}
	s.paid = newPaidBatcher(s)
	return s
}

// ForNode returns a Storage on the same database that records node as
// the claimer of the outbox rows it claims (several cloud nodes share one
// PostgreSQL database; see ClaimOutbox).
func (s *Storage) ForNode(node string) *Storage {
	c := *s
	c.node = node
	return &c
}

// Node is the node name claims are recorded for ("" unless ForNode).
func (s *Storage) Node() string { return s.node }

// DB returns the underlying handle (for health checks).
func (s *Storage) DB() *sql.DB { return s.db }

// Ping checks the database answers.
func (s *Storage) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// q rewrites ? placeholders into $n for PostgreSQL. Queries in this package
// never contain a literal question mark.
func (s *Storage) q(query string) string {
	if s.dialect != database.Postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// tx runs fn in a transaction, committing when fn returns nil.
func (s *Storage) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("storage: begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return conflict(err)
	}
	if err := tx.Commit(); err != nil {
		return conflict(fmt.Errorf("storage: commit: %w", err))
	}
	return nil
}

// conflict marks a unique-constraint violation (a race the explicit checks
// lost) as ErrConflict, keeping the driver's text for the log.
func conflict(err error) error {
	if isUniqueViolation(err) && !errors.Is(err, ErrConflict) {
		return fmt.Errorf("%w: %v", ErrConflict, err)
	}
	return err
}

// ts formats a time for storage (biz.FormatTS: UTC, fixed width so text
// order is time order); parseTS reads it back.
func ts(t time.Time) string { return biz.FormatTS(t) }

func parseTS(s string) time.Time { return biz.ParseTS(s) }

func parseNTS(s sql.NullString) time.Time {
	if !s.Valid {
		return time.Time{}
	}
	return parseTS(s.String)
}

func nstr(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// NewID returns a new ULID string.
func NewID() string { return mqtt.NewID(time.Now()) }

// NewToken returns a random URL-safe token: crypto/rand.Text in lower case,
// 26 base32 characters carrying 130 bits.
func NewToken() string { return strings.ToLower(rand.Text()) }

// HashSecret hashes a high-entropy secret (session tokens, stand secrets,
// pairing codes). Low-entropy secrets (passwords) use bcrypt elsewhere.
func HashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}
