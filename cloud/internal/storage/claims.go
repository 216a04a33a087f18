package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/database"
	"github.com/qrstand/qrstand/cloud/internal/model"
)

// Work that several cloud nodes share is split by claims: a node takes
// rows with FOR UPDATE SKIP LOCKED (PostgreSQL; SQLite's write transaction
// is exclusive anyway) and pushes a time column forward as its lease, so
// no other node looks at them until the lease runs out — and a node that
// died mid-way loses them when it does.

// forUpdate is the row-claiming suffix of a SELECT on dialects that have it.
func (s *Storage) forUpdate() string {
	if s.dialect == database.Postgres {
		return ` FOR UPDATE SKIP LOCKED`
	}
	return ``
}

// ClaimUnpaidOrders returns up to limit NOTPAY orders created before
// cutoff that no node has claimed within lease, and claims them until
// now+lease (the reconciler's share of the work).
func (s *Storage) ClaimUnpaidOrders(ctx context.Context, now, cutoff time.Time, lease time.Duration, limit int) ([]model.Order, error) {
	var out []model.Order
	err := s.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, s.q(`SELECT `+orderCols+` FROM orders WHERE state = ? AND created_at < ? AND (recheck_at IS NULL OR recheck_at <= ?)
			ORDER BY created_at LIMIT ?`+s.forUpdate()), model.OrderNotPay, ts(cutoff), ts(now), limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			o, err := scanOrder(rows)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, o)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, o := range out {
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE orders SET recheck_at = ? WHERE out_trade_no = ?`), ts(now.Add(lease)), o.OutTradeNo); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("storage: claim unpaid orders: %w", err)
	}
	return out, nil
}

// ClaimUnsettledRefunds is ClaimUnpaidOrders for PENDING and PROCESSING
// refunds.
func (s *Storage) ClaimUnsettledRefunds(ctx context.Context, now, cutoff time.Time, lease time.Duration, limit int) ([]model.Refund, error) {
	var out []model.Refund
	err := s.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, s.q(`SELECT `+refundCols+` FROM refunds WHERE state IN (?, ?) AND created_at < ? AND (recheck_at IS NULL OR recheck_at <= ?)
			ORDER BY created_at LIMIT ?`+s.forUpdate()), model.RefundPending, model.RefundProcessing, ts(cutoff), ts(now), limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			r, err := scanRefund(rows)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range out {
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE refunds SET recheck_at = ? WHERE out_refund_no = ?`), ts(now.Add(lease)), r.OutRefundNo); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("storage: claim unsettled refunds: %w", err)
	}
	return out, nil
}

// PurgeOutbox deletes outbox rows that were delivered (or failed for good)
// before cutoff, at most batch per statement, until none are left or ctx
// ends; it returns how many it deleted. Small batches keep each delete's
// locks and WAL short beside the live traffic.
func (s *Storage) PurgeOutbox(ctx context.Context, cutoff time.Time, batch int) (int, error) {
	total := 0
	for {
		res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE state IN (?, ?) AND delivered_at < ? LIMIT ?)`),
			model.OutboxDelivered, model.OutboxFailed, ts(cutoff), batch)
		if err != nil {
			return total, fmt.Errorf("storage: purge outbox: %w", err)
		}
		n, _ := res.RowsAffected()
		total += int(n)
		if int(n) < batch || ctx.Err() != nil {
			return total, ctx.Err()
		}
	}
}
