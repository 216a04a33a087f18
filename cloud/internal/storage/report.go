package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/model"
)

// Fact is one money movement of a store for reports: a payment (positive
// AmountFen, At = paid_at) or a settled refund (Refund true, At =
// succeeded_at), with the order's attribution.
type Fact struct {
	Refund    bool
	At        time.Time
	AmountFen int64
	ShiftID   string
	OnDutyID  string // clerk on shift when paid
	ClerkID   string // clerk whose code was scanned ("" = store code)
	StandID   string // set only by StandFacts
}

// Facts returns a store's payments with paid_at in [from, to) and its
// refunds settled in [from, to). Refunds carry their order's attribution.
func (s *Storage) Facts(ctx context.Context, storeID string, from, to time.Time) ([]Fact, error) {
	var out []Fact
	scan := func(refund bool, query string) error {
		rows, err := s.db.QueryContext(ctx, s.q(query), storeID, model.OrderSuccess, model.OrderRefund, ts(from), ts(to))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var f Fact
			var at sql.NullString
			if err := rows.Scan(&at, &f.AmountFen, &f.ShiftID, &f.OnDutyID, &f.ClerkID); err != nil {
				return err
			}
			f.Refund, f.At = refund, parseNTS(at)
			out = append(out, f)
		}
		return rows.Err()
	}
	if err := scan(false, `SELECT paid_at, amount_fen, shift_id, on_duty_id, clerk_id FROM orders
		WHERE store_id = ? AND state IN (?, ?) AND paid_at >= ? AND paid_at < ? ORDER BY paid_at`); err != nil {
		return nil, fmt.Errorf("storage: facts: %w", err)
	}
	if err := scan(true, `SELECT r.succeeded_at, r.amount_fen, o.shift_id, o.on_duty_id, o.clerk_id FROM refunds r JOIN orders o ON o.out_trade_no = r.out_trade_no
		WHERE r.store_id = ? AND o.state IN (?, ?) AND r.state = 'SUCCESS' AND r.succeeded_at >= ? AND r.succeeded_at < ? ORDER BY r.succeeded_at`); err != nil {
		return nil, fmt.Errorf("storage: facts: %w", err)
	}
	return out, nil
}

// StandFacts returns, per stand, the payment and refund events of a store
// created in [from, to) that the stand acknowledged (what it announced and
// printed), with their amounts.
func (s *Storage) StandFacts(ctx context.Context, storeID string, from, to time.Time) ([]Fact, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT x.stand_id, x.type, o.paid_at, o.amount_fen, r.succeeded_at, r.amount_fen
		FROM outbox x
		LEFT JOIN orders o ON o.out_trade_no = x.ref
		LEFT JOIN refunds r ON r.out_refund_no = x.ref
		WHERE x.kind = ? AND x.state = ? AND x.created_at >= ? AND x.created_at < ? AND (o.store_id = ? OR r.store_id = ?)`),
		model.OutboxStand, model.OutboxDelivered, ts(from), ts(to), storeID, storeID)
	if err != nil {
		return nil, fmt.Errorf("storage: stand facts: %w", err)
	}
	defer rows.Close()
	var out []Fact
	for rows.Next() {
		var f Fact
		var typ string
		var paidAt, refAt sql.NullString
		var paidFen, refFen sql.NullInt64
		if err := rows.Scan(&f.StandID, &typ, &paidAt, &paidFen, &refAt, &refFen); err != nil {
			return nil, fmt.Errorf("storage: stand facts: %w", err)
		}
		if refFen.Valid {
			f.Refund, f.At, f.AmountFen = true, parseNTS(refAt), refFen.Int64
		} else {
			f.At, f.AmountFen = parseNTS(paidAt), paidFen.Int64
		}
		out = append(out, f)
	}
	return out, rows.Err()
}
