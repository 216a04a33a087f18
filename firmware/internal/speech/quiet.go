package speech

import (
	"fmt"
	"strings"
	"time"

	"github.com/qrstand/qrstand/mqtt/biz"
)

// QuietHours is a daily window, in Asia/Shanghai wall-clock time, during
// which payments are not announced aloud. The zero value is "never quiet".
// In config it is written "22:00-07:00"; a window may cross midnight; the
// start minute is inside the window and the end minute is not.
type QuietHours struct {
	Start, End int // minutes after midnight, 0–1439; Start == End means off
}

// Enabled reports whether the window is non-empty.
func (q QuietHours) Enabled() bool { return q.Start != q.End }

// Contains reports whether t falls inside the window.
func (q QuietHours) Contains(t time.Time) bool {
	if !q.Enabled() {
		return false
	}
	l := t.In(biz.Zone)
	m := l.Hour()*60 + l.Minute()
	if q.Start < q.End {
		return m >= q.Start && m < q.End
	}
	return m >= q.Start || m < q.End // crosses midnight
}

// String returns "HH:MM-HH:MM", or "" when off.
func (q QuietHours) String() string {
	if !q.Enabled() {
		return ""
	}
	return fmt.Sprintf("%02d:%02d-%02d:%02d", q.Start/60, q.Start%60, q.End/60, q.End%60)
}

// Validate checks the minute values.
func (q QuietHours) Validate() error {
	if q.Start < 0 || q.Start >= 24*60 || q.End < 0 || q.End >= 24*60 {
		return fmt.Errorf("speech: quiet hours %d–%d: minutes must be in 0–1439", q.Start, q.End)
	}
	return nil
}

// MarshalText writes the config form, "22:00-07:00" or "".
func (q QuietHours) MarshalText() ([]byte, error) { return []byte(q.String()), nil }

// UnmarshalText parses "HH:MM-HH:MM" (24-hour clock); "" or "off" turns quiet
// hours off.
func (q *QuietHours) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "" || s == "off" {
		*q = QuietHours{}
		return nil
	}
	from, to, ok := strings.Cut(s, "-")
	if !ok {
		return fmt.Errorf("speech: quiet hours %q: want HH:MM-HH:MM", s)
	}
	start, err := parseClock(from)
	if err != nil {
		return fmt.Errorf("speech: quiet hours %q: %w", s, err)
	}
	end, err := parseClock(to)
	if err != nil {
		return fmt.Errorf("speech: quiet hours %q: %w", s, err)
	}
	if start == end {
		return fmt.Errorf("speech: quiet hours %q: start equals end (write \"off\" to disable)", s)
	}
	*q = QuietHours{Start: start, End: end}
	return nil
}

func parseClock(s string) (int, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("time %q: want HH:MM", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}
