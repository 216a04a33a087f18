package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
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
	err := run(ctx, []string{"-stands", "5", "-stores", "2", "-rate", "2", "-duration", "3s", "-json"}, &out, &errs, os.Getenv)
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

func TestFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-stands", "0"}, {"-stands", "3", "-stores", "4"}, {"-rate", "0"}, {"-duration", "-1s"}, {"-rate", "1000", "-duration", "2h"},
		{"-cloud", "http://127.0.0.1:8080"}, {"-broker", "tcp://127.0.0.1:1883"},
		{"-cloud", "127.0.0.1:8080", "-broker", "tcp://127.0.0.1:1883"}, {"-cloud", "http://127.0.0.1:8080", "-broker", "127.0.0.1:1883"}, {"extra"},
	} {
		if _, err := parse(args, io.Discard); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
	o, err := parse([]string{"-stands", "7", "-rate", "3", "-duration", "2s"}, io.Discard)
	if err != nil || o.stores != 7 {
		t.Fatalf("defaults: %+v %v", o, err)
	}
	o, err = parse([]string{"-cloud", "http://127.0.0.1:8081/, http://127.0.0.1:8082", "-broker", "tcp://127.0.0.1:18830"}, io.Discard)
	if err != nil || !slices.Equal(o.bases(), []string{"http://127.0.0.1:8081", "http://127.0.0.1:8082"}) {
		t.Fatalf("two nodes: %v %v", o.bases(), err)
	}
}

// An external cloud without a console login is refused before anything
// is started.
func TestExternalNeedsLogin(t *testing.T) {
	err := run(context.Background(), []string{"-cloud", "http://127.0.0.1:1", "-broker", "tcp://127.0.0.1:1"}, io.Discard, io.Discard, func(string) string { return "" })
	if err == nil || !strings.Contains(err.Error(), "QRSTAND_LOAD_USER") {
		t.Fatalf("run = %v", err)
	}
}
