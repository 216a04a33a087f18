package journal

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations are append-only; each runs in its own transaction and records
// its version in PRAGMA user_version.
var migrations = []string{
	`CREATE TABLE events (
		seqno      INTEGER PRIMARY KEY AUTOINCREMENT,
		id         TEXT NOT NULL UNIQUE,
		kind       TEXT NOT NULL,
		outbox_seq INTEGER NOT NULL DEFAULT 0,
		state      TEXT NOT NULL CHECK (state IN ('new','printing','done')),
		catchup    INTEGER NOT NULL DEFAULT 0,
		batch      INTEGER NOT NULL DEFAULT 0,
		reprint    INTEGER NOT NULL DEFAULT 0,
		fen        INTEGER NOT NULL DEFAULT 0,
		channel    TEXT NOT NULL DEFAULT '',
		event_at   TEXT NOT NULL,
		received_at TEXT NOT NULL,
		done_at    TEXT,
		day        TEXT NOT NULL,
		body       BLOB NOT NULL
	);
	CREATE INDEX events_state ON events(state, seqno);
	CREATE INDEX events_day ON events(day, kind);
	CREATE TABLE settings (
		key   TEXT PRIMARY KEY,
		value BLOB NOT NULL
	);`,
	// An event the cloud sent again after this stand lost it (mqtt
	// envelope "resent"): printed labelled 补打, never announced alone.
	`ALTER TABLE events ADD COLUMN resent INTEGER NOT NULL DEFAULT 0;`,
}

func migrate(ctx context.Context, db *sql.DB) error {
	var v int
	if err := db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil {
		return fmt.Errorf("journal: read schema version: %w", err)
	}
	if v > len(migrations) {
		return fmt.Errorf("journal: schema version %d is newer than this firmware (%d)", v, len(migrations))
	}
	for i := v; i < len(migrations); i++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("journal: migrate: %w", err)
		}
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			tx.Rollback()
			return fmt.Errorf("journal: migration %d: %w", i+1, err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, i+1)); err != nil {
			tx.Rollback()
			return fmt.Errorf("journal: migration %d: %w", i+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("journal: migration %d: %w", i+1, err)
		}
	}
	return nil
}
