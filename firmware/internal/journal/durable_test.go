package journal

import (
	"context"
	"database/sql"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// pragmas reads synchronous and journal_mode on one live connection.
func pragmas(t *testing.T, c *sql.Conn) (sync int, mode string) {
	t.Helper()
	ctx := context.Background()
	if err := c.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&sync); err != nil {
		t.Fatal(err)
	}
	if err := c.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
		t.Fatal(err)
	}
	return sync, mode
}

// TestInsertConnectionsSynchronousFull: every connection an insert (or a
// state change) can run on commits with synchronous=FULL in WAL mode, so
// a commit returns only after the WAL is fsynced, and the stand acks only
// after Insert returns. Only the lazy pool, which SetSettingLazy alone
// uses, runs NORMAL. Both pool connections are held at once so that both
// are read, not the same one twice.
func TestInsertConnectionsSynchronousFull(t *testing.T) {
	j := open(t, t.TempDir())
	ctx := context.Background()
	var conns []*sql.Conn
	for range 2 {
		c, err := j.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	for i, c := range conns {
		if s, m := pragmas(t, c); s != 2 || m != "wal" {
			t.Errorf("connection %d: synchronous=%d journal_mode=%s, want 2 (FULL) wal", i, s, m)
		}
	}
	if n := j.db.Stats().MaxOpenConnections; n != len(conns) {
		t.Errorf("pool allows %d connections, the test read %d", n, len(conns))
	}
	lc, err := j.lazy.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close()
	if s, m := pragmas(t, lc); s != 1 || m != "wal" {
		t.Errorf("lazy connection: synchronous=%d journal_mode=%s, want 1 (NORMAL) wal", s, m)
	}
}

// A lazily saved setting is there after a reopen (the process's exit
// flushes nothing more than a crash would: the WAL is in the file).
func TestLazySettingSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	j, err := Open(filepath.Join(dir, "journal.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.SetSettingLazy(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	j.Close()
	j = open(t, dir)
	if v, err := j.Setting(ctx, "k"); err != nil || string(v) != "v" {
		t.Fatalf("after reopen: %q %v", v, err)
	}
}

// An insert that arrives while bookkeeping writes wait goes before them:
// the ack waits for at most the write already committing.
func TestGateInsertFirst(t *testing.T) {
	g := newGate()
	g.lockOther() // a transition committing
	var mu sync.Mutex
	var order []string
	var wg sync.WaitGroup
	enter := func(name string, lock func()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lock()
			mu.Lock()
			order = append(order, name)
			mu.Unlock()
			g.unlock()
		}()
	}
	enter("done", g.lockOther)
	waitFor(t, g, func() bool { return g.others == 1 })
	enter("insert", g.lockInsert)
	waitFor(t, g, func() bool { return g.inserts == 1 })
	g.unlock()
	wg.Wait()
	if d := cmp.Diff(order, []string{"insert", "done"}); d != "" {
		t.Errorf("order (-got +want):\n%s", d)
	}
}

// A steady stream of inserts still lets a waiting bookkeeping write in
// after maxInsertRun of them.
func TestGateBookkeepingNotStarved(t *testing.T) {
	g := newGate()
	g.lockInsert()
	done := make(chan struct{})
	go func() {
		g.lockOther()
		g.unlock()
		close(done)
	}()
	waitFor(t, g, func() bool { return g.others == 1 })
	g.unlock()
	for range maxInsertRun + 1 {
		select {
		case <-done:
			return
		default:
		}
		g.lockInsert()
		g.unlock()
	}
	<-done // would block forever if inserts could starve it
}

// waitFor waits until cond holds on g's state (g.mu held while it runs).
func waitFor(t *testing.T, g *gate, cond func() bool) {
	t.Helper()
	for {
		g.mu.Lock()
		ok := cond()
		g.mu.Unlock()
		if ok {
			return
		}
		runtime.Gosched()
	}
}
