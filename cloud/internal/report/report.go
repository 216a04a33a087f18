package report

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/storage"
	"github.com/qrstand/qrstand/mqtt/biz"
)

// Grouping names.
const (
	ByDay   = "day"
	ByShift = "shift"
	ByClerk = "clerk"
	ByCode  = "code"
	ByStand = "stand"
)

// ErrBy is returned for an unknown grouping.
var ErrBy = errors.New("report: unknown grouping")

// Row is one group's sums. NetFen = TotalFen − RefundFen.
type Row struct {
	Key         string // the group's id (date, shift id, staff id, "store", stand id)
	Label       string // what people read
	Count       int64
	TotalFen    int64
	RefundCount int64
	RefundFen   int64
	NetFen      int64
}

func (r *Row) add(f storage.Fact) {
	if f.Refund {
		r.RefundCount++
		r.RefundFen += f.AmountFen
	} else {
		r.Count++
		r.TotalFen += f.AmountFen
	}
	r.NetFen = r.TotalFen - r.RefundFen
}

// Report is a store's sums over [From, To).
type Report struct {
	Store    model.Store
	By       string
	From, To time.Time
	Rows     []Row
	Total    Row
}

// Build sums a store's facts over [from, to) grouped by by.
func Build(ctx context.Context, st *storage.Storage, store model.Store, by string, from, to time.Time) (Report, error) {
	rep := Report{Store: store, By: by, From: from, To: to, Total: Row{Key: "total", Label: "合计"}}
	var facts []storage.Fact
	var err error
	switch by {
	case ByDay, ByShift, ByClerk, ByCode:
		facts, err = st.Facts(ctx, store.ID, from, to)
	case ByStand:
		facts, err = st.StandFacts(ctx, store.ID, from, to)
	default:
		return rep, fmt.Errorf("%w %q", ErrBy, by)
	}
	if err != nil {
		return rep, err
	}
	names := map[string]string{}
	name := func(staffID string) string {
		if staffID == "" {
			return ""
		}
		if n, ok := names[staffID]; ok {
			return n
		}
		n := staffID
		if s, err := st.Staff(ctx, staffID); err == nil {
			n = s.Name
		}
		names[staffID] = n
		return n
	}
	groups := map[string]*Row{}
	for _, f := range facts {
		var key, label string
		switch by {
		case ByDay:
			key = f.At.In(biz.Zone).Format("2006-01-02")
			label = key
		case ByShift:
			// Handled below: a fact may fall in several overlapping shifts.
			rep.Total.add(f)
			continue
		case ByClerk:
			id := f.ClerkID
			if id == "" {
				id = f.OnDutyID
			}
			key, label = id, name(id)
			if id == "" {
				label = "—"
			}
		case ByCode:
			key, label = "store", "门店码"
			if f.ClerkID != "" {
				key, label = f.ClerkID, "店员码 "+name(f.ClerkID)
			}
		case ByStand:
			key, label = f.StandID, f.StandID
		}
		g, ok := groups[key]
		if !ok {
			g = &Row{Key: key, Label: label}
			groups[key] = g
		}
		g.add(f)
		if by != ByStand {
			rep.Total.add(f)
		}
	}
	if by == ByShift {
		rows, err := shiftRows(ctx, st, store.ID, from, to, facts, name)
		if err != nil {
			return rep, err
		}
		rep.Rows = rows
		return rep, nil
	}
	for _, g := range groups {
		rep.Rows = append(rep.Rows, *g)
		if by == ByStand {
			rep.Total.Count += g.Count
			rep.Total.TotalFen += g.TotalFen
			rep.Total.RefundCount += g.RefundCount
			rep.Total.RefundFen += g.RefundFen
			rep.Total.NetFen = rep.Total.TotalFen - rep.Total.RefundFen
		}
	}
	sort.Slice(rep.Rows, func(i, j int) bool { return rep.Rows[i].Key < rep.Rows[j].Key })
	return rep, nil
}

// WriteCSV writes the report with a header row and a total row; amounts in
// yuan with two decimals.
func (r Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	rows := [][]string{{r.By, "笔数", "交易(元)", "退款笔数", "退款(元)", "实收(元)"}}
	for _, x := range append(append([]Row(nil), r.Rows...), r.Total) {
		rows = append(rows, []string{csvSafe(x.Label), fmt.Sprint(x.Count), biz.FormatFen(x.TotalFen), fmt.Sprint(x.RefundCount),
			biz.FormatFen(x.RefundFen), biz.FormatFen(x.NetFen)})
	}
	if err := cw.WriteAll(rows); err != nil {
		return fmt.Errorf("report: csv: %w", err)
	}
	return nil
}

// csvSafe keeps a spreadsheet from reading a name as a formula.
func csvSafe(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@') {
		return "'" + s
	}
	return s
}

// shiftRows sums facts per shift as the 交班单 does (storage.ShiftSlip):
// a shift counts the store-code payments and its clerk's own clerk-code
// payments made while it was open, and refunds of those settled then.
// Overlapping shifts each count what both saw, so the rows may add up to
// more than the total; what no shift saw is the row "—" (nobody on duty).
func shiftRows(ctx context.Context, st *storage.Storage, storeID string, from, to time.Time, facts []storage.Fact, name func(string) string) ([]Row, error) {
	shifts, err := st.ShiftsBetween(ctx, storeID, from, to)
	if err != nil {
		return nil, err
	}
	rows := make([]Row, len(shifts))
	for i, sh := range shifts {
		rows[i] = Row{Key: sh.ID, Label: name(sh.StaffID) + " " + sh.StartsAt.In(biz.Zone).Format("01-02 15:04")}
	}
	none := Row{Key: "", Label: "—"}
	for _, f := range facts {
		seen := false
		for i, sh := range shifts {
			if f.At.Before(storage.ShiftWindowStart(sh)) || (!sh.Open() && !f.At.Before(sh.EndsAt)) {
				continue
			}
			if f.ClerkID != "" && f.ClerkID != sh.StaffID {
				continue
			}
			rows[i].add(f)
			seen = true
		}
		if !seen {
			none.add(f)
		}
	}
	if none.Count+none.RefundCount > 0 {
		rows = append(rows, none)
	}
	return rows, nil
}
