package speech

import (
	"testing"
	"time"

	"github.com/qrstand/qrstand/mqtt/biz"
)

func TestQuietHours(t *testing.T) {
	// Times are given in UTC; the window is Asia/Shanghai (UTC+8).
	at := func(h, m int) time.Time { return time.Date(2026, 11, 25, h, m, 0, 0, time.UTC) }
	for _, tc := range []struct {
		window string
		t      time.Time
		want   bool
	}{
		{"22:00-07:00", at(14, 0), true},   // 22:00 CST: start is inside
		{"22:00-07:00", at(13, 59), false}, // 21:59 CST
		{"22:00-07:00", at(16, 0), true},   // 00:00 CST
		{"22:00-07:00", at(22, 59), true},  // 06:59 CST
		{"22:00-07:00", at(23, 0), false},  // 07:00 CST: end is outside
		{"22:00-07:00", at(4, 0), false},   // 12:00 CST
		{"12:30-14:00", at(4, 30), true},   // 12:30 CST
		{"12:30-14:00", at(6, 0), false},   // 14:00 CST
		{"12:30-14:00", at(14, 0), false},  // 22:00 CST
		{"", at(14, 0), false},
		{"off", at(14, 0), false},
	} {
		var q QuietHours
		if err := q.UnmarshalText([]byte(tc.window)); err != nil {
			t.Fatalf("%q: %v", tc.window, err)
		}
		if got := q.Contains(tc.t); got != tc.want {
			t.Errorf("%q contains %v (%s CST) = %v, want %v", tc.window, tc.t, tc.t.In(biz.Zone).Format("15:04"), got, tc.want)
		}
	}
}

func TestQuietHoursText(t *testing.T) {
	for _, s := range []string{"22:00-07:00", "00:00-06:30", ""} {
		var q QuietHours
		if err := q.UnmarshalText([]byte(s)); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if got, _ := q.MarshalText(); string(got) != s {
			t.Errorf("round trip %q → %q", s, got)
		}
	}
	for _, bad := range []string{"22-07", "22:00", "25:00-07:00", "22:00-07:60", "07:00-07:00", "10pm-7am"} {
		var q QuietHours
		if err := q.UnmarshalText([]byte(bad)); err == nil {
			t.Errorf("UnmarshalText(%q): no error", bad)
		}
	}
	if err := (QuietHours{Start: 0, End: 1440}).Validate(); err == nil {
		t.Error("Validate(End 1440): no error")
	}
}

// FuzzQuietHours: the config parser never panics, and what it accepts is a
// valid window that prints back to a form it parses to the same window.
func FuzzQuietHours(f *testing.F) {
	for _, s := range []string{"22:00-07:00", "", "off", "7:5-8:00", "24:00-01:00", "-", "12:00-12:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var q QuietHours
		if err := q.UnmarshalText([]byte(s)); err != nil {
			return
		}
		if err := q.Validate(); err != nil {
			t.Fatalf("%q accepted as invalid %+v: %v", s, q, err)
		}
		var back QuietHours
		text, _ := q.MarshalText()
		if err := back.UnmarshalText(text); err != nil || back != q {
			t.Fatalf("%q → %+v → %q → %+v, %v", s, q, text, back, err)
		}
	})
}
