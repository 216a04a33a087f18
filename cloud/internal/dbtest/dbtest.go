// Package dbtest opens fresh, migrated databases for tests: SQLite in
// t.TempDir() always, and PostgreSQL when QRSTAND_TEST_PG_DSN is set or a
// server answers on 127.0.0.1:5432 — a new database per call, dropped at the
// end. Without PostgreSQL the PostgreSQL half skips, except under CI=true,
// where it fails.
package dbtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/database"
	"github.com/qrstand/qrstand/cloud/internal/secretbox"
	"github.com/qrstand/qrstand/cloud/internal/storage"
)

// DefaultPGDSN is tried when QRSTAND_TEST_PG_DSN is unset.
const DefaultPGDSN = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// Box returns a secretbox with a fixed test key.
func Box(t testing.TB) *secretbox.Box {
	b, err := secretbox.New(bytes.Repeat([]byte{0x42}, secretbox.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Dialects lists the engines to run a storage test on.
func Dialects() []database.Dialect { return []database.Dialect{database.SQLite, database.Postgres} }

// Each runs fn as a subtest per engine, each with a fresh database.
func Each(t *testing.T, fn func(t *testing.T, s *storage.Storage)) {
	for _, d := range Dialects() {
		t.Run(string(d), func(t *testing.T) {
			fn(t, Open(t, d))
		})
	}
}

// Open returns a fresh migrated Storage on dialect d.
func Open(t testing.TB, d database.Dialect) *storage.Storage {
	t.Helper()
	db := OpenDB(t, d)
	return storage.New(db, d, Box(t))
}

// OpenDB returns a fresh migrated *sql.DB on dialect d.
func OpenDB(t testing.TB, d database.Dialect) *sql.DB {
	t.Helper()
	ctx := context.Background()
	var dsn string
	switch d {
	case database.SQLite:
		dsn = filepath.Join(t.TempDir(), "cloud.db")
	case database.Postgres:
		dsn = pgDatabase(t)
	}
	db, err := database.Open(ctx, d, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := database.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	return db
}

// PostgresDSN returns the DSN of a fresh, empty (unmigrated) PostgreSQL
// database, dropped when the test ends; it skips (fails under CI=true)
// without PostgreSQL.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	return pgDatabase(t)
}

func pgDatabase(t testing.TB) string {
	t.Helper()
	admin := os.Getenv("QRSTAND_TEST_PG_DSN")
	if admin == "" {
		c, err := net.DialTimeout("tcp", "127.0.0.1:5432", time.Second)
		if err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("dbtest: PostgreSQL required under CI=true: set QRSTAND_TEST_PG_DSN or run it on 127.0.0.1:5432 (%v)", err)
			}
			t.Skipf("dbtest: PostgreSQL not available (QRSTAND_TEST_PG_DSN unset, 127.0.0.1:5432: %v); skipping the PostgreSQL half", err)
		}
		c.Close()
		admin = DefaultPGDSN
	}
	ctx := context.Background()
	adb, err := database.Open(ctx, database.Postgres, admin)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("dbtest: PostgreSQL: %v", err)
		}
		t.Skipf("dbtest: PostgreSQL not usable: %v", err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "qrs_test_" + hex.EncodeToString(b)
	if _, err := adb.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		adb.Close()
		t.Fatalf("dbtest: create database: %v", err)
	}
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("dbtest: DSN must be a URL: %v", err)
	}
	u.Path = "/" + name
	t.Cleanup(func() {
		// Registered before the test's own db.Close cleanup, so it runs after it.
		if _, err := adb.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name); err != nil {
			t.Logf("dbtest: drop %s: %v", name, err)
		}
		adb.Close()
	})
	return u.String()
}
