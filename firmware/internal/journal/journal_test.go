package journal

import (
	"context"
	"errors"
	"path/filepath"
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
