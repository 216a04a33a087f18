package database

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"

	"github.com/jackc/pgx/v5/stdlib"
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
	// 2: payments: orders, refunds, the transactional outbox, per-stand seq.
	`
CREATE TABLE orders (
	out_trade_no TEXT PRIMARY KEY,
	store_id TEXT NOT NULL REFERENCES stores(id),
	merchant_id TEXT NOT NULL,
	provider_id TEXT NOT NULL,
	sp_mchid TEXT NOT NULL,
	sub_mchid TEXT NOT NULL,
	clerk_id TEXT NOT NULL DEFAULT '',
	shift_id TEXT NOT NULL DEFAULT '',
	on_duty_id TEXT NOT NULL DEFAULT '',
	amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
	refunded_fen BIGINT NOT NULL DEFAULT 0,
	remark TEXT NOT NULL DEFAULT '',
	payer_openid TEXT NOT NULL DEFAULT '',
	state TEXT NOT NULL,
	prepay_id TEXT NOT NULL DEFAULT '',
	transaction_id TEXT NOT NULL DEFAULT '',
	paid_via TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	time_expire TEXT NOT NULL,
	paid_at TEXT,
	closed_at TEXT
);
CREATE INDEX orders_state ON orders(state, created_at);
CREATE INDEX orders_store_paid ON orders(store_id, paid_at);
CREATE TABLE refunds (
	out_refund_no TEXT PRIMARY KEY,
	out_trade_no TEXT NOT NULL REFERENCES orders(out_trade_no),
	store_id TEXT NOT NULL,
	amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
	state TEXT NOT NULL,
	refund_id TEXT NOT NULL DEFAULT '',
	operator_id TEXT NOT NULL DEFAULT '',
	reason TEXT NOT NULL DEFAULT '',
	last_error TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	succeeded_at TEXT
);
CREATE INDEX refunds_order ON refunds(out_trade_no);
CREATE INDEX refunds_state ON refunds(state, created_at);
CREATE INDEX refunds_store_succeeded ON refunds(store_id, succeeded_at);
CREATE TABLE stand_seq (
	stand_id TEXT PRIMARY KEY,
	last_seq BIGINT NOT NULL
);
CREATE TABLE outbox (
	id TEXT PRIMARY KEY,
	kind TEXT NOT NULL,
	stand_id TEXT,
	seq BIGINT,
	to_openid TEXT NOT NULL DEFAULT '',
	type TEXT NOT NULL,
	payload TEXT NOT NULL,
	ref TEXT NOT NULL,
	state TEXT NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	next_at TEXT NOT NULL,
	created_at TEXT NOT NULL,
	delivered_at TEXT,
	last_error TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX outbox_stand_seq ON outbox(stand_id, seq);
CREATE INDEX outbox_due ON outbox(state, next_at);
CREATE INDEX outbox_ref ON outbox(ref);
CREATE TABLE store_pay_settings (
	store_id TEXT PRIMARY KEY REFERENCES stores(id),
	limit_fen BIGINT NOT NULL
);
CREATE TABLE merchant_marketing (
	merchant_id TEXT PRIMARY KEY REFERENCES merchants(id),
	ad_image_url TEXT NOT NULL DEFAULT '',
	ad_link_url TEXT NOT NULL DEFAULT '',
	review_url TEXT NOT NULL DEFAULT '',
	coupon_text TEXT NOT NULL DEFAULT ''
);
`,
	// Console login limiter shared by every node (storage/login_limit.go);
	// refund rights are for managers and admins only, so clear any a clerk
	// was given before that was enforced.
	`
CREATE TABLE login_limits (
	key_hash TEXT PRIMARY KEY,
	window_start TEXT NOT NULL,
	attempts INTEGER NOT NULL,
	next_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX login_limits_window ON login_limits(window_start);
UPDATE staff SET can_refund = 0 WHERE role = 'clerk';
`,
	// The fleet: stand ownership and revocation, health, the per-event
	// ledger, staff alert opt-ins and alert de-duplication.
	`
ALTER TABLE stands ADD COLUMN provider_id TEXT;
ALTER TABLE stands ADD COLUMN revoked_at TEXT;
CREATE TABLE stand_health (
	stand_id TEXT PRIMARY KEY,
	online INTEGER NOT NULL DEFAULT 0,
	since TEXT,
	last_seen TEXT,
	firmware TEXT NOT NULL DEFAULT '',
	battery_pct INTEGER NOT NULL DEFAULT -1,
	charging INTEGER NOT NULL DEFAULT 0,
	on_battery INTEGER NOT NULL DEFAULT 0,
	paper TEXT NOT NULL DEFAULT '',
	printer_model TEXT NOT NULL DEFAULT '',
	pending INTEGER NOT NULL DEFAULT 0,
	network TEXT NOT NULL DEFAULT '',
	signal_dbm INTEGER NOT NULL DEFAULT 0,
	status_at TEXT
);
CREATE TABLE stand_ledger (
	stand_id TEXT NOT NULL,
	event_id TEXT NOT NULL,
	kind TEXT NOT NULL,
	order_no TEXT NOT NULL DEFAULT '',
	catch_up INTEGER NOT NULL DEFAULT 0,
	journaled_at TEXT NOT NULL,
	announce TEXT NOT NULL,
	announced_at TEXT,
	print TEXT NOT NULL,
	printed_at TEXT,
	reported_at TEXT NOT NULL,
	PRIMARY KEY (stand_id, event_id)
);
CREATE TABLE alert_optins (
	staff_id TEXT PRIMARY KEY REFERENCES staff(id),
	created_at TEXT NOT NULL
);
CREATE TABLE stand_alerts (
	stand_id TEXT NOT NULL,
	kind TEXT NOT NULL,
	active INTEGER NOT NULL DEFAULT 0,
	raised_at TEXT,
	last_sent_at TEXT,
	PRIMARY KEY (stand_id, kind)
);
`,
	// store operations (issue 15): several clerks on duty at once, so one
	// open shift per clerk and store instead of per store; the outbox
	// records which provider's official account sends a template row.
	`
DROP INDEX IF EXISTS shifts_one_open;
CREATE UNIQUE INDEX shifts_one_open_per_clerk ON shifts(store_id, staff_id) WHERE ends_at IS NULL;
ALTER TABLE outbox ADD COLUMN provider_id TEXT NOT NULL DEFAULT '';
`,
	// scale-out: which node claimed an outbox row (its next_at is the
	// lease), when the reconciler may look at an order or refund again
	// (its claim), and the index the purge of delivered rows walks.
	`
ALTER TABLE outbox ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
CREATE INDEX outbox_done ON outbox(state, delivered_at);
ALTER TABLE orders ADD COLUMN recheck_at TEXT;
ALTER TABLE refunds ADD COLUMN recheck_at TEXT;
`,
	// firmware: signed bundles, rollout waves, each stand's update.state.
	`
CREATE TABLE firmware_bundles (
	sha256 TEXT PRIMARY KEY,
	version TEXT NOT NULL,
	model TEXT NOT NULL,
	arch TEXT NOT NULL,
	size BIGINT NOT NULL,
	created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX firmware_bundles_target ON firmware_bundles(version, model, arch);
CREATE TABLE firmware_rollouts (
	id TEXT PRIMARY KEY,
	version TEXT NOT NULL,
	percent INTEGER NOT NULL,
	stands TEXT NOT NULL DEFAULT '',
	max_failures INTEGER NOT NULL,
	state TEXT NOT NULL,
	reason TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE TABLE firmware_stands (
	stand_id TEXT PRIMARY KEY,
	running TEXT NOT NULL,
	model TEXT NOT NULL,
	arch TEXT NOT NULL,
	state TEXT NOT NULL,
	target TEXT NOT NULL DEFAULT '',
	rollout TEXT NOT NULL DEFAULT '',
	error TEXT NOT NULL DEFAULT '',
	reported_at TEXT NOT NULL,
	sent_version TEXT NOT NULL DEFAULT '',
	sent_at TEXT NOT NULL DEFAULT ''
);
`,
	// The unannounced-payments report and metric walk every store's paid
	// orders of the last day by paid_at alone.
	`
CREATE INDEX orders_paid_at ON orders(paid_at);
`,
	// An openid means something only under the official account (AppID)
	// that issued it, and each provider may bring its own: staff roles and
	// WeChat sessions record that AppID. '' is the deployment's own
	// account, which every row before this migration was made under.
	`
ALTER TABLE staff ADD COLUMN app_id TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN app_id TEXT NOT NULL DEFAULT '';
CREATE INDEX staff_app_openid ON staff(app_id, openid);
`,
}

// SchemaVersion is the version Migrate brings a database to.
func SchemaVersion() int { return len(migrations) }

// migrateLockKey is the pg_advisory_lock key that serialises migrations
// across cloud nodes starting at once ("qrsmigr" in ASCII).
const migrateLockKey = 0x7172736d69677200

// Migrate applies every migration newer than the recorded version, each in
// its own transaction together with the version bump. On PostgreSQL it
// holds a session advisory lock throughout, so nodes starting together
// migrate one after the other (the later ones find nothing to do).
// SQLite's immediate write transactions already serialise writers.
func Migrate(ctx context.Context, db *sql.DB) error {
	if _, ok := db.Driver().(*stdlib.Driver); ok {
		conn, err := db.Conn(ctx)
		if err != nil {
			return fmt.Errorf("database: migration lock: %w", err)
		}
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, int64(migrateLockKey)); err != nil {
			conn.Close()
			return fmt.Errorf("database: migration lock: %w", err)
		}
		defer func() {
			// Unlock on the same session; if that fails, throw the session
			// away instead of pooling it: ending it releases the lock.
			if _, err := conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, int64(migrateLockKey)); err != nil {
				conn.Raw(func(any) error { return driver.ErrBadConn })
			}
			conn.Close()
		}()
	}
	return migrate(ctx, db)
}

func migrate(ctx context.Context, db *sql.DB) error {
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
