package biz

import (
	"testing"
	"time"
)

// The fallback must agree with the tz database for every time since 1992
// (China dropped daylight saving after 1991), in both directions of a day
// boundary.
func TestZoneFallbackAgrees(t *testing.T) {
	fixed := loadZone("No/Such_Zone")
	if _, off := time.Date(2026, 1, 1, 0, 0, 0, 0, fixed).Zone(); off != 8*3600 {
		t.Fatalf("fallback offset = %d, want 28800", off)
	}
	if Zone.String() != "Asia/Shanghai" && Zone != fixed {
		t.Logf("no tz database here; Zone is the fallback %v", Zone)
	}
	for at := time.Date(1992, 1, 1, 0, 0, 0, 0, time.UTC); at.Year() < 2100; at = at.Add(97*24*time.Hour + 7*time.Hour + 13*time.Minute) {
		a, b := at.In(Zone).Format(time.RFC3339), at.In(fixed).Format(time.RFC3339)
		if a != b {
			t.Fatalf("%v: Zone gives %s, fallback %s", at, a, b)
		}
	}
}

func TestDay(t *testing.T) {
	tests := []struct {
		utc   string
		day   string
		start string
	}{
		{"2026-11-24T15:59:59.999Z", "2026-11-24", "2026-11-24T00:00:00+08:00"},
		{"2026-11-24T16:00:00Z", "2026-11-25", "2026-11-25T00:00:00+08:00"},
		{"2026-12-31T23:00:00Z", "2027-01-01", "2027-01-01T00:00:00+08:00"},
	}
	for _, tt := range tests {
		at, err := time.Parse(time.RFC3339Nano, tt.utc)
		if err != nil {
			t.Fatal(err)
		}
		if got := Day(at); got != tt.day {
			t.Errorf("Day(%s) = %s, want %s", tt.utc, got, tt.day)
		}
		if got := DayStart(at).Format(time.RFC3339); got != tt.start {
			t.Errorf("DayStart(%s) = %s, want %s", tt.utc, got, tt.start)
		}
	}
}

func TestTS(t *testing.T) {
	at := time.Date(2026, 11, 25, 4, 5, 6, 789_123_456, time.FixedZone("X", 3600))
	s := FormatTS(at)
	if s != "2026-11-25T03:05:06.789123Z" {
		t.Fatalf("FormatTS = %q", s)
	}
	if got := ParseTS(s); !got.Equal(at.Truncate(time.Microsecond)) {
		t.Errorf("ParseTS(%q) = %v", s, got)
	}
	// Older rows: RFC 3339 with any number of decimals, or none.
	for in, want := range map[string]time.Time{
		"2026-11-25T03:05:06Z":           time.Date(2026, 11, 25, 3, 5, 6, 0, time.UTC),
		"2026-11-25T03:05:06.789123456Z": time.Date(2026, 11, 25, 3, 5, 6, 789_123_456, time.UTC),
		"2026-11-25T11:05:06.5+08:00":    time.Date(2026, 11, 25, 3, 5, 6, 500_000_000, time.UTC),
		"":                               {},
		"yesterday":                      {},
	} {
		if got := ParseTS(in); !got.Equal(want) {
			t.Errorf("ParseTS(%q) = %v, want %v", in, got, want)
		}
	}
	// Fixed width: text order is time order.
	a, b := FormatTS(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), FormatTS(time.Date(2026, 1, 1, 0, 0, 0, 1000, time.UTC))
	if !(a < b) || len(a) != len(b) {
		t.Errorf("FormatTS order: %q, %q", a, b)
	}
}
