package database

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// MaxBusyWait bounds how long a write waits for another connection's write
// lock when its context has no earlier deadline.
const MaxBusyWait = 10 * time.Second

// busyStep is SQLite's own busy timeout: how long one attempt sleeps in
// SQLite (which cannot see a context) before we look at the context again.
const busyStep = 100 * time.Millisecond

// sqliteConnector opens mattn/go-sqlite3 connections whose waits for a
// locked database end with the caller's context. SQLite's busy handler
// sleeps without knowing about contexts, so with one long busy timeout a
// write-locked database held a request (WeChat's notify, which must be
// answered within 5 s) for the whole timeout. Instead each attempt waits
// at most busyStep and BEGIN and single-statement writes are retried until
// the context's deadline (or MaxBusyWait).
type sqliteConnector struct {
	dsn string
	drv *sqlite3.SQLiteDriver
}

func (c *sqliteConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return &busyConn{SQLiteConn: conn.(*sqlite3.SQLiteConn)}, nil
}

func (c *sqliteConnector) Driver() driver.Driver { return c.drv }

// busyConn is a SQLite connection whose BEGIN and Exec retry SQLITE_BUSY
// until the context allows no more. Every other method is SQLiteConn's.
type busyConn struct {
	*sqlite3.SQLiteConn
}

func (c *busyConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	var tx driver.Tx
	err := retryBusy(ctx, func() error {
		var err error
		tx, err = c.SQLiteConn.BeginTx(ctx, opts)
		return err
	})
	return tx, err
}

// ExecContext retries a statement refused with SQLITE_BUSY: nothing of it
// ran. (The storage package runs one statement per Exec.)
func (c *busyConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	var res driver.Result
	err := retryBusy(ctx, func() error {
		var err error
		res, err = c.SQLiteConn.ExecContext(ctx, query, args)
		return err
	})
	return res, err
}

func isBusy(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && (se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked)
}

// retryBusy runs op until it is not refused as busy, the context ends, or
// the earlier of its deadline and MaxBusyWait has passed. The last error
// (the busy one) is returned, wrapped with the context's when that ended it.
func retryBusy(ctx context.Context, op func() error) error {
	deadline := time.Now().Add(MaxBusyWait)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	for {
		err := op()
		if !isBusy(err) {
			return err
		}
		if cerr := ctx.Err(); cerr != nil {
			return fmt.Errorf("%w (%w)", err, cerr)
		}
		if time.Until(deadline) <= 0 {
			// The context's own deadline may have passed before its
			// timer has marked it done (late on a loaded machine): say
			// so all the same, as the caller's deadline ended the wait.
			if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
				return fmt.Errorf("%w (%w)", err, context.DeadlineExceeded)
			}
			return err // each attempt sleeps at most busyStep past it
		}
	}
}

// CreatePrivate makes sure the file at path exists and is readable by its
// owner only (0600), tightening an existing file. SQLite gives a
// database's -wal, -shm and -journal files the database file's mode, so
// creating the database this way before opening it keeps all of them
// private whatever the umask. Anything else keeping secrets in a file (a
// journal, keys) can use it the same way.
func CreatePrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("database: create %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("database: stat %s: %w", path, err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		if err := f.Chmod(0o600); err != nil {
			return fmt.Errorf("database: chmod %s: %w", path, err)
		}
	}
	return nil
}

// privateSQLite makes a SQLite file path and its existing companions 0600.
func privateSQLite(dsn string) error {
	path, _, _ := strings.Cut(dsn, "?")
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil
	}
	if err := CreatePrivate(path); err != nil {
		return err
	}
	for _, suffix := range []string{"-wal", "-shm", "-journal"} {
		if fi, err := os.Stat(path + suffix); err == nil && fi.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(path+suffix, 0o600); err != nil {
				return fmt.Errorf("database: chmod %s: %w", path+suffix, err)
			}
		}
	}
	return nil
}
