package standlink

import (
	"testing"
	"time"
)

func TestBusinessHours(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	day := func(h, m int) time.Time { return time.Date(2026, 11, 25, h, m, 0, 0, cst) }
	for _, c := range []struct {
		start, end string
		at         time.Time
		want       bool
	}{
		{"08:00", "22:00", day(8, 0), true},
		{"08:00", "22:00", day(7, 59), false},
		{"08:00", "22:00", day(21, 59), true},
		{"08:00", "22:00", day(22, 0), false},
		{"18:00", "02:00", day(23, 30), true}, // a night market
		{"18:00", "02:00", day(1, 0), true},
		{"18:00", "02:00", day(12, 0), false},
	} {
		a := AlertConfig{BusinessStart: c.start, BusinessEnd: c.end, Zone: cst}
		if err := a.defaults(); err != nil {
			t.Fatal(err)
		}
		if got := a.businessHours(c.at.UTC()); got != c.want {
			t.Errorf("%s–%s at %s: %v, want %v", c.start, c.end, c.at.Format("15:04"), got, c.want)
		}
	}
	bad := AlertConfig{BusinessStart: "25:00"}
	if err := bad.defaults(); err == nil {
		t.Error("25:00 accepted")
	}
}
