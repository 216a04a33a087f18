package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/model"
)

// A store has one chain of shifts (交班). A shift runs from the previous
// shift's end — the previous clerk's clock-out — to this clerk's clock-out.
// At most one shift per store is open (a partial unique index enforces
// it); a clock-in while another shift is open ends that shift at the
// clock-in time (the forgotten clock-out), so no time is counted twice.

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

// OpenShift returns the store's open shift (ErrNotFound if none).
func (s *Storage) OpenShift(ctx context.Context, storeID string) (model.Shift, error) {
	sh, err := scanShift(s.db.QueryRowContext(ctx, s.q(`SELECT `+shiftCols+` FROM shifts WHERE store_id = ? AND ends_at IS NULL`), storeID))
	if err != nil {
		return sh, fmt.Errorf("storage: open shift: %w", err)
	}
	return sh, nil
}

// Shifts lists a store's shifts, newest first.
func (s *Storage) Shifts(ctx context.Context, storeID string, limit int) ([]model.Shift, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+shiftCols+` FROM shifts WHERE store_id = ? ORDER BY clock_in_at DESC, id DESC LIMIT ?`), storeID, limit)
	if err != nil {
		return nil, fmt.Errorf("storage: shifts: %w", err)
	}
	defer rows.Close()
	var out []model.Shift
	for rows.Next() {
		sh, err := scanShift(rows)
		if err != nil {
			return nil, fmt.Errorf("storage: shifts: %w", err)
		}
		out = append(out, sh)
	}
	return out, rows.Err()
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

// ClockIn starts a shift for a clerk. If a shift is open (the same or
// another clerk forgot to clock out) it is ended now, by this clock-in, and
// returned as ended.
func (s *Storage) ClockIn(ctx context.Context, storeID, staffID string, now time.Time) (started model.Shift, ended *model.Shift, err error) {
	// Two clock-ins racing on PostgreSQL can both see no open shift; the
	// partial unique index refuses the second insert, which then retries
	// and ends the winner's shift like any later clock-in.
	for attempt := 0; ; attempt++ {
		started, ended, err = s.clockIn(ctx, storeID, staffID, now)
		if err == nil || attempt == 9 || !isUniqueViolation(err) {
			return started, ended, err
		}
	}
}

// isUniqueViolation recognises both drivers' unique-constraint errors.
func isUniqueViolation(err error) bool {
	msg := strings.ToLower(err.Error())
	return strings.Contains(msg, "unique constraint") || strings.Contains(msg, "duplicate key")
}

func (s *Storage) clockIn(ctx context.Context, storeID, staffID string, now time.Time) (started model.Shift, ended *model.Shift, err error) {
	err = s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.activeClerk(ctx, tx, storeID, staffID); err != nil {
			return err
		}
		starts := now.UTC()
		open, err := scanShift(tx.QueryRowContext(ctx, s.q(`SELECT `+shiftCols+` FROM shifts WHERE store_id = ? AND ends_at IS NULL`), storeID))
		switch {
		case err == nil:
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE shifts SET ends_at = ?, ended_by = ? WHERE id = ? AND ends_at IS NULL`), ts(now), model.EndedByNextClockIn, open.ID); err != nil {
				return err
			}
			open.EndsAt, open.EndedBy = now.UTC(), model.EndedByNextClockIn
			ended = &open
		case isNotFound(err):
			// The new shift starts where the last one ended.
			var last sql.NullString
			if err := tx.QueryRowContext(ctx, s.q(`SELECT MAX(ends_at) FROM shifts WHERE store_id = ?`), storeID).Scan(&last); err != nil {
				return err
			}
			if t := parseNTS(last); !t.IsZero() && t.Before(starts) {
				starts = t
			}
		default:
			return err
		}
		started = model.Shift{ID: NewID(), StoreID: storeID, StaffID: staffID, StartsAt: starts, ClockInAt: now.UTC()}
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO shifts (id, store_id, staff_id, starts_at, clock_in_at, ended_by) VALUES (?, ?, ?, ?, ?, '')`),
			started.ID, storeID, staffID, ts(starts), ts(now))
		return err
	})
	if err != nil {
		return model.Shift{}, nil, fmt.Errorf("storage: clock in: %w", err)
	}
	return started, ended, nil
}

// ClockOut ends the clerk's open shift (ErrNotOnShift if the open shift is
// not theirs) and returns it for the handover slip.
func (s *Storage) ClockOut(ctx context.Context, storeID, staffID string, now time.Time) (model.Shift, error) {
	var sh model.Shift
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		sh, err = scanShift(tx.QueryRowContext(ctx, s.q(`SELECT `+shiftCols+` FROM shifts WHERE store_id = ? AND ends_at IS NULL`), storeID))
		if isNotFound(err) || (err == nil && sh.StaffID != staffID) {
			return ErrNotOnShift
		}
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.q(`UPDATE shifts SET ends_at = ?, ended_by = ? WHERE id = ? AND ends_at IS NULL`), ts(now), model.EndedByClockOut, sh.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrNotOnShift
		}
		sh.EndsAt, sh.EndedBy = now.UTC(), model.EndedByClockOut
		return nil
	})
	if err != nil {
		return model.Shift{}, fmt.Errorf("storage: clock out: %w", err)
	}
	return sh, nil
}
