package biz

import "time"

// Zone is the business time zone, Asia/Shanghai: what people see on
// screens, receipts and reports, and where a business day begins.
var Zone = loadZone("Asia/Shanghai")

// loadZone loads name from the host's (or Go's) tz database. Without one
// it returns UTC+8, which equals Asia/Shanghai for every time since 1991.
func loadZone(name string) *time.Location {
	if loc, err := time.LoadLocation(name); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*60*60)
}

// DayLayout is how a business day is written: "2006-01-02".
const DayLayout = "2006-01-02"

// Day returns the business day of t in Zone, as YYYY-MM-DD.
func Day(t time.Time) string { return t.In(Zone).Format(DayLayout) }

// DayStart returns midnight in Zone at the start of t's business day.
func DayStart(t time.Time) time.Time {
	y, m, d := t.In(Zone).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, Zone)
}

// tsLayout is fixed-width UTC with microseconds, so that text order is
// time order in a database column.
const tsLayout = "2006-01-02T15:04:05.000000Z"

// FormatTS formats t for storage: UTC, fixed width, microseconds.
func FormatTS(t time.Time) string { return t.UTC().Format(tsLayout) }

// ParseTS parses a stored timestamp. It takes what FormatTS writes and any
// other RFC 3339 time (rows written before FormatTS had one width); text
// that is not a time gives the zero Time, which is what an absent or
// damaged column means to every reader.
func ParseTS(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}
