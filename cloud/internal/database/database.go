package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	sqlite3 "github.com/mattn/go-sqlite3"
)

// Dialect names a supported SQL engine.
type Dialect string

// Supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// PostgresMaxConns bounds one process's PostgreSQL connections.
const PostgresMaxConns = 16

// SQLiteMaxIdleConns is how many idle SQLite connections a process keeps.
const SQLiteMaxIdleConns = 8

// ErrDialect is returned for an unknown dialect.
var ErrDialect = errors.New("database: unknown dialect")

// Open opens a database. For SQLite, dsn is a file path, created 0600 if
// missing; WAL, synchronous=FULL (a commit is on disk when it returns),
// foreign keys and immediate write transactions are switched on, and a
// write waits for another's lock only as long as its context allows (at
// most MaxBusyWait; see sqliteConnector). For PostgreSQL, dsn
// is a pgx connection string.
func Open(ctx context.Context, d Dialect, dsn string) (*sql.DB, error) {
	var db *sql.DB
	var err error
	switch d {
	case SQLite:
		q := url.Values{}
		q.Set("_journal_mode", "WAL")
		q.Set("_busy_timeout", fmt.Sprint(busyStep.Milliseconds()))
		q.Set("_foreign_keys", "on")
		q.Set("_txlock", "immediate")
		// FULL: every commit fsyncs the WAL before it returns. With
		// NORMAL a commit survives a killed process but not a power
		// cut, and a paid order committed just before the notify's 200
		// could be lost for good (WeChat does not resend an answered
		// notify). storage batches paid orders so they share fsyncs.
		q.Set("_synchronous", "FULL")
		// Each connection keeps its recently used statements prepared:
		// parsing and planning SQL is most of a small query's CPU, and
		// the notify path runs the same dozen statements every time.
		q.Set("_stmt_cache_size", "64")
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		if err := privateSQLite(dsn); err != nil {
			return nil, err
		}
		db = sql.OpenDB(&sqliteConnector{dsn: "file:" + dsn + sep + q.Encode(), drv: &sqlite3.SQLiteDriver{}})
		// Keep the connections concurrent readers use (a notify reads
		// five times beside the paid batch): the default keeps two, and
		// reopening one costs its pragmas and a cold page cache.
		db.SetMaxIdleConns(SQLiteMaxIdleConns)
	case Postgres:
		db, err = sql.Open("pgx", dsn)
		if err == nil {
			// Bounded per node: uplinks (acks) are handled concurrently,
			// and an unbounded pool turns a burst of acks into a
			// connection storm that exhausts max_connections (100 by
			// default) for every node sharing the server. Nodes × this
			// is the deployment's connection budget (cloud/docs/scale.md).
			db.SetMaxOpenConns(PostgresMaxConns)
			db.SetMaxIdleConns(PostgresMaxConns)
		}
	default:
		return nil, fmt.Errorf("%w %q", ErrDialect, d)
	}
	if err != nil {
		return nil, fmt.Errorf("database: open %s: %w", d, err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("database: ping %s: %w", d, err)
	}
	return db, nil
}
