package loadkit

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/qrstand/qrstand/firmware/internal/speech"
)

// The count is per order and per stand: a stand missing an order's
// receipt makes it lost, a second announcement makes it duplicated,
// whatever the totals look like; a receipt labelled 补打 is a reprint,
// an unlabelled second one a duplicate.
func TestCheck(t *testing.T) {
	at := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	pays := []Payment{{Order: "ORD1", Fen: 101, At: at}, {Order: "ORD2", Fen: 102, At: at}, {Order: "ORD3", Fen: 103, At: at}}
	say := func(fen int64) string {
		u, err := speech.Payment(speech.ChannelWeChat, fen, speech.TwoEr)
		if err != nil {
			t.Fatal(err)
		}
		return u.Text
	}
	rows := []journalRow{{id: "e1", orderNo: "ORD1", state: "done"}, {id: "e2", orderNo: "ORD2", state: "done"}, {id: "e3", orderNo: "ORD3", state: "done"}}
	acked := map[string]time.Time{"e1": at.Add(10 * time.Millisecond), "e2": at.Add(20 * time.Millisecond), "e3": at.Add(30 * time.Millisecond)}
	// a: all three, once each. b: ORD2 said twice, ORD3 never printed.
	a := newView(rows, []string{say(101), say(102), say(103)}, []string{"单号 ORD1", "单号 ORD2", "单号 ORD3"}, acked)
	b := newView(rows, []string{say(101), say(102), say(102), say(103)}, []string{"单号 ORD1", "单号 ORD2"}, acked)
	r, err := Check(pays, [][]*View{{a, b}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Paid != 3 || r.Announced != 2 || r.Printed != 2 || r.Lost != 1 || r.Duplicated != 1 || r.Reprinted != 0 {
		t.Fatalf("check = %+v", r)
	}
	if got := Ms(Pct(r.Latencies, 100)); got != 30 {
		t.Fatalf("max latency %v", got)
	}
	if got := Ms(Pct(r.Latencies, 50)); got != 20 {
		t.Fatalf("p50 latency %v", got)
	}
	// A late delivery (catch-up) is announced in the summary, not alone.
	late := []journalRow{{id: "e1", orderNo: "ORD1", state: "done", catchUp: true}}
	lv := newView(late, nil, []string{"单号 ORD1"}, nil)
	if r, _ := Check(pays[:1], [][]*View{{lv, lv}}); r.Announced != 1 || r.Lost != 0 || r.CaughtUp != 2 {
		t.Fatalf("catch-up: %+v", r)
	}
	// A labelled reprint is a reprint; an unlabelled second receipt a
	// duplicate.
	one := rows[:1]
	rv := newView(one, []string{say(101)}, []string{"单号 ORD1", "补打\n单号 ORD1"}, nil)
	if r, _ := Check(pays[:1], [][]*View{{rv}}); r.Printed != 1 || r.Reprinted != 1 || r.Duplicated != 0 || r.Lost != 0 {
		t.Fatalf("labelled reprint: %+v", r)
	}
	dv := newView(one, []string{say(101)}, []string{"单号 ORD1", "单号 ORD1"}, nil)
	if r, _ := Check(pays[:1], [][]*View{{dv}}); r.Duplicated != 1 || r.Printed != 0 {
		t.Fatalf("unlabelled repeat: %+v", r)
	}
	// Not done in the journal (killed before "done", never finished) is lost.
	nv := newView([]journalRow{{id: "e1", orderNo: "ORD1", state: "printing"}}, []string{say(101)}, []string{"单号 ORD1"}, nil)
	if r, _ := Check(pays[:1], [][]*View{{nv}}); r.Lost != 1 {
		t.Fatalf("unfinished: %+v", r)
	}
	// An order no stand journaled is lost even with nothing else to see.
	r, _ = Check([]Payment{{Order: "ORD9", Fen: 109, At: at}}, [][]*View{{a, b}})
	if r.Lost != 1 {
		t.Fatalf("unjournaled order: %+v", r)
	}
}

// The record files survive the recorder and a torn last line (a kill in
// the middle of a write) is not a record.
func TestRecords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "said.log")
	r, err := openRecorder(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"微信收款 一块零一分", "line\nbreak"} {
		if err := r.add(s); err != nil {
			t.Fatal(err)
		}
	}
	r.f.Close()
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`"torn`)
	f.Close()
	got, err := readRecords(path)
	if err != nil || !slices.Equal(got, []string{"微信收款 一块零一分", "line\nbreak"}) {
		t.Fatalf("records = %q, %v", got, err)
	}
	if got, err := readRecords(filepath.Join(t.TempDir(), "none")); got != nil || err != nil {
		t.Fatalf("missing file: %q %v", got, err)
	}
}
