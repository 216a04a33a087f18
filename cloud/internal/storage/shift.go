package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/mqtt"
)

// Shifts (上下班打卡, 交班). Each clerk clocks in and out for themself, and
// several clerks may be on duty at once: a colleague's clock-in never ends
// yours. A clerk has at most one open shift per store (a partial unique
// index enforces it). The original product's rule that a shift runs from
// the previous clerk's clock-out is kept where it still has a meaning: a
// clerk who clocks in while nobody is on duty starts at the store's last
// clock-out, so no payment falls between two shifts.
//
// A shift's slip (交班单) counts the store's payments made while it was
// open — store-code payments and payments to this clerk's own code, not
// other clerks' codes — and the refunds of those that settled meanwhile.
// Overlapping shifts therefore each count the store-code payments made
// while both clerks were on duty: the slip is what the counter took while
// I was there, not a share of it.

const shiftCols = `id, store_id, staff_id, starts_at, clock_in_at, ends_at, ended_by`

func scanShift(row interface{ Scan(...any) error }) (model.Shift, error) {
	var sh model.Shift
	var starts, in string
	var ends sql.NullString
	if err := row.Scan(&sh.ID, &sh.StoreID, &sh.StaffID, &starts, &in, &ends, &sh.EndedBy); err != nil {
		return sh, notFound(err)
	}
	sh.StartsAt, sh.ClockInAt, sh.EndsAt = parseTS(starts), parseTS(in), parseNTS(ends)
	return sh, nil
}

func (s *Storage) shiftList(ctx context.Context, q querier, query string, args ...any) ([]model.Shift, error) {
	rows, err := q.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []model.Shift
	for rows.Next() {
		sh, err := scanShift(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, sh)
	}
	return out, rows.Err()
}

// OnDuty lists the store's open shifts, earliest clock-in first.
func (s *Storage) OnDuty(ctx context.Context, storeID string) ([]model.Shift, error) {
	out, err := s.shiftList(ctx, s.db, `SELECT `+shiftCols+` FROM shifts WHERE store_id = ? AND ends_at IS NULL ORDER BY clock_in_at, id`, storeID)
	if err != nil {
		return nil, fmt.Errorf("storage: on duty: %w", err)
	}
	return out, nil
}

// OpenShiftOf returns the clerk's open shift at the store (ErrNotFound if
// the clerk is off duty).
func (s *Storage) OpenShiftOf(ctx context.Context, storeID, staffID string) (model.Shift, error) {
	sh, err := scanShift(s.db.QueryRowContext(ctx, s.q(`SELECT `+shiftCols+` FROM shifts WHERE store_id = ? AND staff_id = ? AND ends_at IS NULL`), storeID, staffID))
	if err != nil {
		return sh, fmt.Errorf("storage: open shift: %w", err)
	}
	return sh, nil
}

// Shift returns one shift.
func (s *Storage) Shift(ctx context.Context, id string) (model.Shift, error) {
	sh, err := scanShift(s.db.QueryRowContext(ctx, s.q(`SELECT `+shiftCols+` FROM shifts WHERE id = ?`), id))
	if err != nil {
		return sh, fmt.Errorf("storage: shift: %w", err)
	}
	return sh, nil
}

// Shifts lists a store's shifts, newest first.
func (s *Storage) Shifts(ctx context.Context, storeID string, limit int) ([]model.Shift, error) {
	out, err := s.shiftList(ctx, s.db, `SELECT `+shiftCols+` FROM shifts WHERE store_id = ? ORDER BY clock_in_at DESC, id DESC LIMIT ?`, storeID, limit)
	if err != nil {
		return nil, fmt.Errorf("storage: shifts: %w", err)
	}
	return out, nil
}

// ShiftsBetween lists a store's shifts that overlap [from, to), oldest
// first (reports by shift).
func (s *Storage) ShiftsBetween(ctx context.Context, storeID string, from, to time.Time) ([]model.Shift, error) {
	out, err := s.shiftList(ctx, s.db, `SELECT `+shiftCols+` FROM shifts WHERE store_id = ? AND starts_at < ? AND (ends_at IS NULL OR ends_at > ?) ORDER BY starts_at, id`,
		storeID, ts(to), ts(from))
	if err != nil {
		return nil, fmt.Errorf("storage: shifts between: %w", err)
	}
	return out, nil
}

func (s *Storage) activeClerk(ctx context.Context, tx *sql.Tx, storeID, staffID string) error {
	var n int
	if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM staff WHERE id = ? AND store_id = ? AND role = ? AND openid IS NOT NULL AND removed_at IS NULL`),
		staffID, storeID, string(model.RoleClerk)).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return ErrNotClerk
	}
	return nil
}

// ClockIn puts a clerk on duty. A clerk already on duty keeps the open
// shift (returned with already true); other clerks' shifts are untouched.
func (s *Storage) ClockIn(ctx context.Context, storeID, staffID string, now time.Time) (sh model.Shift, already bool, err error) {
	// The same clerk tapping twice at once on PostgreSQL: the partial
	// unique index refuses the second insert, which then finds the first.
	for attempt := 0; ; attempt++ {
		sh, already, err = s.clockIn(ctx, storeID, staffID, now)
		if err == nil || attempt == 4 || !isUniqueViolation(err) {
			return sh, already, err
		}
	}
}

// isUniqueViolation recognises both drivers' unique-constraint errors.
func isUniqueViolation(err error) bool {
	msg := strings.ToLower(err.Error())
	return strings.Contains(msg, "unique constraint") || strings.Contains(msg, "duplicate key")
}

func (s *Storage) clockIn(ctx context.Context, storeID, staffID string, now time.Time) (sh model.Shift, already bool, err error) {
	err = s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.activeClerk(ctx, tx, storeID, staffID); err != nil {
			return err
		}
		open, err := scanShift(tx.QueryRowContext(ctx, s.q(`SELECT `+shiftCols+` FROM shifts WHERE store_id = ? AND staff_id = ? AND ends_at IS NULL`), storeID, staffID))
		if err == nil {
			sh, already = open, true
			return nil
		}
		if !isNotFound(err) {
			return err
		}
		starts := now.UTC()
		var others int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM shifts WHERE store_id = ? AND ends_at IS NULL`), storeID).Scan(&others); err != nil {
			return err
		}
		if others == 0 {
			// Nobody on duty: start where the last shift ended.
			var last sql.NullString
			if err := tx.QueryRowContext(ctx, s.q(`SELECT MAX(ends_at) FROM shifts WHERE store_id = ?`), storeID).Scan(&last); err != nil {
				return err
			}
			if t := parseNTS(last); !t.IsZero() && t.Before(starts) {
				starts = t
			}
		}
		sh = model.Shift{ID: NewID(), StoreID: storeID, StaffID: staffID, StartsAt: starts, ClockInAt: now.UTC()}
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO shifts (id, store_id, staff_id, starts_at, clock_in_at, ended_by) VALUES (?, ?, ?, ?, ?, '')`),
			sh.ID, storeID, staffID, ts(starts), ts(now))
		return err
	})
	if err != nil {
		return model.Shift{}, false, fmt.Errorf("storage: clock in: %w", err)
	}
	return sh, already, nil
}

// ShiftSlip is a shift with its totals: what the 交班单 prints.
// NetFen (实收) = TotalFen (交易) − RefundFen (退款).
type ShiftSlip struct {
	Shift       model.Shift
	StoreName   string
	Clerk       string
	Count       int64
	TotalFen    int64
	RefundCount int64
	RefundFen   int64
	NetFen      int64
}

// Body is the slip as the shift.closed message the stands print.
func (sl ShiftSlip) Body() *mqtt.ShiftClosed {
	end := sl.Shift.EndsAt
	return &mqtt.ShiftClosed{ShiftID: sl.Shift.ID, StoreID: sl.Shift.StoreID, StoreName: sl.StoreName, Clerk: sl.Clerk,
		Start: sl.Shift.StartsAt.UTC(), End: end.UTC(), Count: sl.Count, TotalFen: sl.TotalFen,
		RefundCount: sl.RefundCount, RefundFen: sl.RefundFen, NetFen: sl.NetFen}
}

// slip sums a shift over [StartsAt, end): the store's store-code payments
// and the clerk's own clerk-code payments, and the refunds of those that
// settled in the window.
func (s *Storage) slip(ctx context.Context, q querier, sh model.Shift, end time.Time) (ShiftSlip, error) {
	sl := ShiftSlip{Shift: sh}
	start := ShiftWindowStart(sh)
	if err := q.QueryRowContext(ctx, s.q(`SELECT s.name, f.name FROM stores s, staff f WHERE s.id = ? AND f.id = ?`), sh.StoreID, sh.StaffID).
		Scan(&sl.StoreName, &sl.Clerk); err != nil {
		return sl, notFound(err)
	}
	if err := q.QueryRowContext(ctx, s.q(`SELECT COUNT(*), COALESCE(SUM(amount_fen), 0) FROM orders
		WHERE store_id = ? AND state IN (?, ?) AND paid_at >= ? AND paid_at < ? AND (clerk_id = '' OR clerk_id = ?)`),
		sh.StoreID, model.OrderSuccess, model.OrderRefund, ts(start), ts(end), sh.StaffID).Scan(&sl.Count, &sl.TotalFen); err != nil {
		return sl, err
	}
	if err := q.QueryRowContext(ctx, s.q(`SELECT COUNT(*), COALESCE(SUM(r.amount_fen), 0) FROM refunds r JOIN orders o ON o.out_trade_no = r.out_trade_no
		WHERE r.store_id = ? AND r.state = 'SUCCESS' AND r.succeeded_at >= ? AND r.succeeded_at < ? AND (o.clerk_id = '' OR o.clerk_id = ?)`),
		sh.StoreID, ts(start), ts(end), sh.StaffID).Scan(&sl.RefundCount, &sl.RefundFen); err != nil {
		return sl, err
	}
	sl.NetFen = sl.TotalFen - sl.RefundFen
	return sl, nil
}

// ShiftWindowStart is where a shift's sums begin: its start truncated to
// the second, because WeChat's success_time has whole seconds and a
// payment in the second of the clock-in belongs to the shift.
func ShiftWindowStart(sh model.Shift) time.Time { return sh.StartsAt.Truncate(time.Second) }

// ShiftSlipOf sums a shift: up to its end, or up to now while it is open.
func (s *Storage) ShiftSlipOf(ctx context.Context, sh model.Shift, now time.Time) (ShiftSlip, error) {
	end := sh.EndsAt
	if sh.Open() {
		end = now
	}
	sl, err := s.slip(ctx, s.db, sh, end)
	if err != nil {
		return sl, fmt.Errorf("storage: shift slip: %w", err)
	}
	return sl, nil
}

// ClockOut ends the clerk's open shift (ErrNotOnShift if the clerk is off
// duty) and, in the same transaction, writes the shift.closed handover
// slip to every stand of the store, so each stand prints it exactly once.
func (s *Storage) ClockOut(ctx context.Context, storeID, staffID string, now time.Time) (ShiftSlip, error) {
	sl, err := s.endShift(ctx, `store_id = ? AND staff_id = ?`, []any{storeID, staffID}, model.EndedByClockOut, now)
	if err != nil {
		return sl, fmt.Errorf("storage: clock out: %w", err)
	}
	return sl, nil
}

// EndShift ends an open shift for its clerk (a manager closing a forgotten
// clock-out), printing the slip as ClockOut does.
func (s *Storage) EndShift(ctx context.Context, shiftID string, now time.Time) (ShiftSlip, error) {
	sl, err := s.endShift(ctx, `id = ?`, []any{shiftID}, model.EndedByManager, now)
	if err != nil {
		return sl, fmt.Errorf("storage: end shift: %w", err)
	}
	return sl, nil
}

func (s *Storage) endShift(ctx context.Context, where string, args []any, by string, now time.Time) (ShiftSlip, error) {
	var sl ShiftSlip
	err := s.tx(ctx, func(tx *sql.Tx) error {
		sh, err := scanShift(tx.QueryRowContext(ctx, s.q(`SELECT `+shiftCols+` FROM shifts WHERE `+where+` AND ends_at IS NULL`), args...))
		if isNotFound(err) {
			return ErrNotOnShift
		}
		if err != nil {
			return err
		}
		end := now.UTC()
		if end.Before(sh.StartsAt) {
			end = sh.StartsAt
		}
		res, err := tx.ExecContext(ctx, s.q(`UPDATE shifts SET ends_at = ?, ended_by = ? WHERE id = ? AND ends_at IS NULL`), ts(end), by, sh.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrNotOnShift
		}
		sh.EndsAt, sh.EndedBy = end, by
		if sl, err = s.slip(ctx, tx, sh, end); err != nil {
			return err
		}
		return s.writeEnvelopes(ctx, tx, sh.StoreID, sh.ID, now, Envelopes{Stand: sl.Body()})
	})
	return sl, err
}
