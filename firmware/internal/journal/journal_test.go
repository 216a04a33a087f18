package journal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/biz"
)

func open(t *testing.T, dir string) *Journal {
	t.Helper()
	j, err := Open(filepath.Join(dir, "journal.db"), func() time.Time { return time.Date(2026, 11, 25, 4, 0, 0, 0, time.UTC) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

func TestLifecycleSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	j := open(t, dir)
	paid := time.Date(2026, 11, 24, 16, 30, 0, 0, time.UTC) // 00:30 on the 25th in Shanghai
	for i, id := range []string{"A", "B", "C"} {
		ok, err := j.Insert(ctx, Event{ID: id, Kind: mqtt.KindPaymentPaid, OutboxSeq: int64(i + 1), Fen: 100, Channel: "wechat", EventAt: paid, Payload: []byte("{}")})
		if err != nil || !ok {
			t.Fatalf("insert %s: %v %v", id, ok, err)
		}
	}
	if ok, err := j.Insert(ctx, Event{ID: "B", Kind: mqtt.KindPaymentPaid, Payload: []byte("{}")}); ok || err != nil {
		t.Fatalf("duplicate insert: ok=%v err=%v, want false nil", ok, err)
	}
	if err := j.MarkPrinting(ctx, 0, "A", "B"); err != nil {
		t.Fatal(err)
	}
	if err := j.MarkDone(ctx, false, "A"); err != nil {
		t.Fatal(err)
	}
	if err := j.MarkDone(ctx, false, "C"); !errors.Is(err, ErrState) {
		t.Fatalf("done from new: %v, want ErrState", err)
	}
	j.Close()

	j = open(t, dir)
	un, err := j.Unfinished(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range un {
		got = append(got, e.ID+":"+string(e.State))
	}
	if d := cmp.Diff(got, []string{"B:printing", "C:new"}); d != "" {
		t.Errorf("unfinished (-got +want):\n%s", d)
	}
	seq, _ := j.LastSeq(ctx)
	if seq != 3 {
		t.Errorf("LastSeq = %d, want 3", seq)
	}
	tot, err := j.DayTotals(ctx, time.Date(2026, 11, 25, 12, 0, 0, 0, biz.Zone))
	if err != nil {
		t.Fatal(err)
	}
	if tot.Count != 3 || tot.TotalFen != 300 || tot.Day != "2026-11-25" {
		t.Errorf("totals = %+v, want 3 payments of 300 fen on 2026-11-25", tot)
	}
	last, err := j.Last(ctx, mqtt.KindPaymentPaid)
	if err != nil || last.ID != "C" {
		t.Errorf("Last = %v %v, want C", last.ID, err)
	}
	if _, err := j.Get(ctx, "Z"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get missing = %v, want ErrNotFound", err)
	}
}

func TestSettings(t *testing.T) {
	ctx := context.Background()
	j := open(t, t.TempDir())
	if _, err := j.Setting(ctx, "k"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
	for _, v := range []string{"one", "two"} {
		if err := j.SetSetting(ctx, "k", []byte(v)); err != nil {
			t.Fatal(err)
		}
		got, err := j.Setting(ctx, "k")
		if err != nil || string(got) != v {
			t.Errorf("Setting = %q %v, want %q", got, err, v)
		}
	}
}

// fillJournal journals n payments and closes the journal (checkpointing
// its WAL into the main file).
func fillJournal(t *testing.T, dir string, n int) {
	t.Helper()
	ctx := context.Background()
	j := open(t, dir)
	for i := 1; i <= n; i++ {
		if _, err := j.Insert(ctx, Event{ID: fmt.Sprintf("E%04d", i), Kind: mqtt.KindPaymentPaid, OutboxSeq: int64(i), Fen: 100,
			Payload: bytes.Repeat([]byte("x"), 300)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestDamagedMovedAside: a journal whose pages are damaged, or a file that
// is no database at all, is moved aside (kept, with its WAL) and a fresh
// journal starts; the caller learns where it went and why.
func TestDamagedMovedAside(t *testing.T) {
	for name, damage := range map[string]func(t *testing.T, path string){
		"btree pages": func(t *testing.T, path string) {
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			// Pages 2.. hold the tables; scribble over the middle of the file.
			st, _ := f.Stat()
			if _, err := f.WriteAt(bytes.Repeat([]byte{0xA5}, 3*4096), st.Size()/2); err != nil {
				t.Fatal(err)
			}
		},
		"not a database": func(t *testing.T, path string) {
			if err := os.WriteFile(path, bytes.Repeat([]byte("not sqlite "), 1000), 0o600); err != nil {
				t.Fatal(err)
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "journal.db")
			fillJournal(t, dir, 200)
			damage(t, path)
			if err := os.WriteFile(path+"-wal", []byte("stale wal"), 0o600); err != nil {
				t.Fatal(err)
			}
			j := open(t, dir)
			ma := j.MovedAside()
			if ma == nil {
				t.Fatal("damaged journal used, not moved aside")
			}
			t.Logf("%s", ma)
			if ma.Reason == "" || !strings.HasPrefix(ma.Path, path+".damaged-20261125T040000Z") {
				t.Errorf("MovedAside = %+v", ma)
			}
			if _, err := os.Stat(ma.Path); err != nil {
				t.Errorf("damaged file not kept: %v", err)
			}
			if b, err := os.ReadFile(ma.Path + "-wal"); err != nil || string(b) != "stale wal" {
				t.Errorf("its WAL was not moved with it: %q %v", b, err)
			}
			if seq, err := j.LastSeq(context.Background()); err != nil || seq != 0 {
				t.Errorf("fresh journal LastSeq = %d %v, want 0", seq, err)
			}
			if _, err := j.Insert(context.Background(), Event{ID: "N1", Kind: mqtt.KindPaymentPaid, Payload: []byte("{}")}); err != nil {
				t.Errorf("fresh journal insert: %v", err)
			}
			j.Close()
			// The fresh journal is sound: the next open keeps it.
			if j2 := open(t, dir); j2.MovedAside() != nil {
				t.Errorf("sound journal moved aside: %s", j2.MovedAside())
			}
		})
	}
}

// TestSoundJournalKept: a sound journal is not moved, and an error that is
// not damage (here: the directory does not exist) fails Open without
// moving anything.
func TestSoundJournalKept(t *testing.T) {
	dir := t.TempDir()
	fillJournal(t, dir, 50)
	j := open(t, dir)
	if j.MovedAside() != nil {
		t.Fatalf("sound journal moved aside: %s", j.MovedAside())
	}
	if seq, _ := j.LastSeq(context.Background()); seq != 50 {
		t.Errorf("LastSeq = %d, want 50", seq)
	}
	if _, err := Open(filepath.Join(dir, "missing", "journal.db"), nil); err == nil {
		t.Error("Open in a missing directory succeeded")
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "*damaged*")); len(m) != 0 {
		t.Errorf("moved aside: %q", m)
	}
}

func TestResentKept(t *testing.T) {
	ctx := context.Background()
	j := open(t, t.TempDir())
	if _, err := j.Insert(ctx, Event{ID: "R", Kind: mqtt.KindPaymentPaid, OutboxSeq: 9, Resent: true, CatchUp: true, Payload: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	e, err := j.Get(ctx, "R")
	if err != nil || !e.Resent || !e.CatchUp {
		t.Fatalf("Get = %+v %v, want resent catch-up", e, err)
	}
}
