package storage

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/model"
)

// OrderFilter selects a store's orders for the orders list. Zero fields
// do not filter.
type OrderFilter struct {
	StoreID  string
	From, To time.Time // created_at in [From, To)
	StaffID  string    // the clerk credited: their clerk code, or on duty when paid
	Code     string    // "store" (the store code) or a clerk's staff id (their clerk code)
	State    string    // model.Order* state
	Limit    int       // default 200
}

// Orders lists a store's orders, newest first.
func (s *Storage) Orders(ctx context.Context, f OrderFilter) ([]model.Order, error) {
	where := []string{"store_id = ?"}
	args := []any{f.StoreID}
	if !f.From.IsZero() {
		where, args = append(where, "created_at >= ?"), append(args, ts(f.From))
	}
	if !f.To.IsZero() {
		where, args = append(where, "created_at < ?"), append(args, ts(f.To))
	}
	if f.StaffID != "" {
		where, args = append(where, "(clerk_id = ? OR (clerk_id = '' AND on_duty_id = ?))"), append(args, f.StaffID, f.StaffID)
	}
	switch f.Code {
	case "":
	case "store":
		where = append(where, "clerk_id = ''")
	default:
		where, args = append(where, "clerk_id = ?"), append(args, f.Code)
	}
	if f.State != "" {
		where, args = append(where, "state = ?"), append(args, f.State)
	}
	if f.Limit <= 0 {
		f.Limit = 200
	}
	args = append(args, f.Limit)
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+orderCols+` FROM orders WHERE `+strings.Join(where, " AND ")+` ORDER BY created_at DESC, out_trade_no DESC LIMIT ?`), args...)
	if err != nil {
		return nil, fmt.Errorf("storage: orders: %w", err)
	}
	defer rows.Close()
	var out []model.Order
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			return nil, fmt.Errorf("storage: orders: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// PlatesByStore lists the blank plates bound to a store, newest binding
// first.
func (s *Storage) PlatesByStore(ctx context.Context, storeID string) ([]model.Plate, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+plateCols+` FROM plates WHERE store_id = ? ORDER BY bound_at DESC, token`), storeID)
	if err != nil {
		return nil, fmt.Errorf("storage: plates by store: %w", err)
	}
	defer rows.Close()
	var out []model.Plate
	for rows.Next() {
		p, err := scanPlate(rows)
		if err != nil {
			return nil, fmt.Errorf("storage: plates by store: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
