package database_test

import (
	"context"
	"sync"
	"testing"

	"github.com/qrstand/qrstand/cloud/internal/database"
	"github.com/qrstand/qrstand/cloud/internal/dbtest"
)

// Nodes starting together on one PostgreSQL database migrate one after the
// other under the advisory lock: every Migrate succeeds and the schema is
// applied once. Without the lock two of them run the same CREATE TABLE.
func TestMigrateConcurrentNodes(t *testing.T) {
	dsn := dbtest.PostgresDSN(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		db, err := database.Open(ctx, database.Postgres, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- database.Migrate(ctx, db)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	db, err := database.Open(ctx, database.Postgres, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rows int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_version`).Scan(&rows); err != nil || rows != 1 {
		t.Errorf("schema_version rows = %d (%v), want 1", rows, err)
	}
	if v, err := database.Version(ctx, db); err != nil || v != database.SchemaVersion() {
		t.Errorf("version %d (%v), want %d", v, err, database.SchemaVersion())
	}
}
