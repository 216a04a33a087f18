package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qrstand/qrstand/firmware/internal/speech"
)

// TestLoadSmall is a whole run: a qrstand-cloud -dev child, 5 virtual
// stands over 2 stores, payments through the pay page and the WeChat Pay
// simulator, and the per-order check read back from the stands.
func TestLoadSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and builds qrstand-cloud; skipped under -short")
	}
	var out, errs bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	err := run(ctx, []string{"-stands", "5", "-stores", "2", "-rate", "2", "-duration", "3s", "-json"}, &out, &errs)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, errs.String())
	}
	var raw map[string]any
	if err := json.Unmarshal(out.Bytes(), &raw); err != nil {
		t.Fatalf("report %q: %v", out.String(), err)
	}
	want := []string{"paid", "announced", "printed", "lost", "duplicated", "p50_ms", "p90_ms", "p99_ms", "max_ms",
		"raw_rtt_p50_ms", "raw_rtt_p99_ms", "ratio_p99", "stands_connected", "cloud_rss_mb", "cloud_rss_per_stand_kb", "cloud_cpu_s"}
	var got []string
	for k := range raw {
		got = append(got, k)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("report keys = %v, want %v", got, want)
	}
	var r Report
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	const sent = 6 // 2/s for 3 s
	if r.Paid != sent || r.Announced != sent || r.Printed != sent || r.Lost != 0 || r.Duplicated != 0 {
		t.Fatalf("report = %+v, want %d paid, announced and printed, none lost or duplicated\n%s", r, sent, errs.String())
	}
	if r.StandsConnected != 5 || r.P50ms <= 0 || r.MaxMs < r.P99ms || r.RawRTTP99ms <= 0 || r.CloudRSSMB <= 0 || r.CloudCPUs <= 0 {
		t.Fatalf("report = %+v", r)
	}
	if !strings.HasPrefix(errs.String(), "qrstand-load: starting qrstand-cloud") {
		t.Errorf("no progress on stderr: %q", errs.String())
	}
}

// The count is per order and per stand: a stand missing an order's
// receipt makes it lost, a second announcement makes it duplicated,
// whatever the totals look like.
func TestTally(t *testing.T) {
	a, b := &vstand{id: "a"}, &vstand{id: "b"}
	byStore := [][]*vstand{{a, b}}
	at := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	pays := []payment{{order: "ORD1", fen: 101, at: at}, {order: "ORD2", fen: 102, at: at}, {order: "ORD3", fen: 103, at: at}}
	say := func(fen int64) string {
		u, err := speech.Payment(speech.ChannelWeChat, fen, speech.TwoEr)
		if err != nil {
			t.Fatal(err)
		}
		return u.Text
	}
	rows := []journalRow{{id: "e1", orderNo: "ORD1", state: "done"}, {id: "e2", orderNo: "ORD2", state: "done"}, {id: "e3", orderNo: "ORD3", state: "done"}}
	acked := map[string]time.Time{"e1": at.Add(10 * time.Millisecond), "e2": at.Add(20 * time.Millisecond), "e3": at.Add(30 * time.Millisecond)}
	views := map[*vstand]*standView{
		// a: all three, once each.
		a: newStandView(rows, []string{say(101), say(102), say(103)}, []string{"单号 ORD1", "单号 ORD2", "单号 ORD3"}, acked),
		// b: ORD2 said twice, ORD3 never printed.
		b: newStandView(rows, []string{say(101), say(102), say(102), say(103)}, []string{"单号 ORD1", "单号 ORD2"}, acked),
	}
	r, err := tally(pays, byStore, views)
	if err != nil {
		t.Fatal(err)
	}
	if r.Paid != 3 || r.Announced != 2 || r.Printed != 2 || r.Lost != 1 || r.Duplicated != 1 {
		t.Fatalf("tally = %+v", r)
	}
	if r.MaxMs != 30 || r.P50ms != 20 {
		t.Fatalf("latencies = %+v", r)
	}
	// A late delivery (catch-up) is announced in the summary, not alone.
	late := []journalRow{{id: "e1", orderNo: "ORD1", state: "done", catchUp: true}}
	lv := map[*vstand]*standView{a: newStandView(late, nil, []string{"单号 ORD1"}, nil), b: newStandView(late, nil, []string{"单号 ORD1"}, nil)}
	if r, _ := tally(pays[:1], byStore, lv); r.Announced != 1 || r.Lost != 0 || r.CaughtUp != 2 {
		t.Fatalf("catch-up: %+v", r)
	}
	// An order no stand journaled is lost even with nothing else to see.
	r, _ = tally([]payment{{order: "ORD9", fen: 109, at: at}}, byStore, views)
	if r.Lost != 1 {
		t.Fatalf("unjournaled order: %+v", r)
	}
}

func TestFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-stands", "0"}, {"-stands", "3", "-stores", "4"}, {"-rate", "0"}, {"-duration", "-1s"}, {"-rate", "1000", "-duration", "2h"},
		{"-cloud", "http://127.0.0.1:8080", "-broker", "tcp://127.0.0.1:1883"}, {"extra"},
	} {
		if _, err := parse(args, io.Discard); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
	o, err := parse([]string{"-stands", "7", "-rate", "3", "-duration", "2s"}, io.Discard)
	if err != nil || o.stores != 7 {
		t.Fatalf("defaults: %+v %v", o, err)
	}
}
