package database

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations is append-only: never edit or reorder an entry that has
// shipped; add a new one. Entry i brings the schema to version i+1.
var migrations = []string{
	// 1: tenancy, staff, codes, stands, shifts, sessions.
	`
CREATE TABLE providers (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	sp_mchid TEXT NOT NULL DEFAULT '',
	sp_appid TEXT NOT NULL DEFAULT '',
	secrets_sealed TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL
);
CREATE TABLE console_users (
	id TEXT PRIMARY KEY,
	username TEXT NOT NULL UNIQUE,
	password_hash TEXT NOT NULL,
	role TEXT NOT NULL,
	provider_id TEXT REFERENCES providers(id),
	created_at TEXT NOT NULL
);
CREATE TABLE sessions (
	token_hash TEXT PRIMARY KEY,
	kind TEXT NOT NULL,
	subject TEXT NOT NULL,
	created_at TEXT NOT NULL,
	expires_at TEXT NOT NULL
);
CREATE TABLE merchants (
	id TEXT PRIMARY KEY,
	provider_id TEXT NOT NULL REFERENCES providers(id),
	name TEXT NOT NULL,
	sub_mchid TEXT NOT NULL,
	manage_token TEXT NOT NULL UNIQUE,
	created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX merchants_provider_sub_mchid ON merchants(provider_id, sub_mchid);
CREATE TABLE stores (
	id TEXT PRIMARY KEY,
	merchant_id TEXT NOT NULL REFERENCES merchants(id),
	name TEXT NOT NULL,
	code_token TEXT NOT NULL UNIQUE,
	notify_off_shift INTEGER NOT NULL DEFAULT 0,
	announce INTEGER NOT NULL DEFAULT 1,
	print_receipts INTEGER NOT NULL DEFAULT 1,
	created_at TEXT NOT NULL
);
CREATE INDEX stores_merchant ON stores(merchant_id);
CREATE TABLE staff (
	id TEXT PRIMARY KEY,
	merchant_id TEXT NOT NULL REFERENCES merchants(id),
	store_id TEXT REFERENCES stores(id),
	role TEXT NOT NULL,
	name TEXT NOT NULL,
	openid TEXT,
	can_refund INTEGER NOT NULL DEFAULT 0,
	notify INTEGER NOT NULL DEFAULT 0,
	clerk_code_token TEXT UNIQUE,
	created_at TEXT NOT NULL,
	activated_at TEXT,
	removed_at TEXT
);
CREATE INDEX staff_openid ON staff(openid);
CREATE INDEX staff_merchant ON staff(merchant_id);
CREATE TABLE activation_codes (
	token TEXT PRIMARY KEY,
	staff_id TEXT NOT NULL REFERENCES staff(id),
	role TEXT NOT NULL,
	scope_id TEXT NOT NULL,
	created_at TEXT NOT NULL,
	expires_at TEXT NOT NULL,
	used_at TEXT,
	used_by TEXT
);
CREATE INDEX activation_codes_staff ON activation_codes(staff_id);
CREATE TABLE plates (
	token TEXT PRIMARY KEY,
	provider_id TEXT NOT NULL REFERENCES providers(id),
	store_id TEXT REFERENCES stores(id),
	created_at TEXT NOT NULL,
	bound_at TEXT
);
CREATE TABLE stands (
	id TEXT PRIMARY KEY,
	secret_hash TEXT NOT NULL,
	store_id TEXT REFERENCES stores(id),
	pair_code_hash TEXT NOT NULL DEFAULT '',
	pair_expires_at TEXT,
	created_at TEXT NOT NULL,
	paired_at TEXT
);
CREATE TABLE shifts (
	id TEXT PRIMARY KEY,
	store_id TEXT NOT NULL REFERENCES stores(id),
	staff_id TEXT NOT NULL REFERENCES staff(id),
	starts_at TEXT NOT NULL,
	clock_in_at TEXT NOT NULL,
	ends_at TEXT,
	ended_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX shifts_store ON shifts(store_id, clock_in_at);
CREATE UNIQUE INDEX shifts_one_open ON shifts(store_id) WHERE ends_at IS NULL;
`,
}

// SchemaVersion is the version Migrate brings a database to.
func SchemaVersion() int { return len(migrations) }

// Migrate applies every migration newer than the recorded version, each in
// its own transaction together with the version bump.
func Migrate(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("database: create schema_version: %w", err)
	}
	current, err := Version(ctx, db)
	if err != nil {
		return err
	}
	if current > len(migrations) {
		return fmt.Errorf("database: schema version %d is newer than this binary (%d)", current, len(migrations))
	}
	for v := current + 1; v <= len(migrations); v++ {
		if err := apply(ctx, db, v); err != nil {
			return err
		}
	}
	return nil
}

func apply(ctx context.Context, db *sql.DB, version int) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("database: migration %d: %w", version, err)
	}
	defer tx.Rollback()
	for _, stmt := range splitStatements(migrations[version-1]) {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("database: migration %d: %w", version, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM schema_version`); err != nil {
		return fmt.Errorf("database: migration %d: %w", version, err)
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`INSERT INTO schema_version (version) VALUES (%d)`, version)); err != nil {
		return fmt.Errorf("database: migration %d: %w", version, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("database: migration %d: commit: %w", version, err)
	}
	return nil
}

// Version returns the recorded schema version (0 for an empty database).
func Version(ctx context.Context, db *sql.DB) (int, error) {
	var v sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("database: read schema version: %w", err)
	}
	return int(v.Int64), nil
}
