package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/model"
)

const refundCols = `out_refund_no, out_trade_no, store_id, amount_fen, state, refund_id, operator_id, reason, last_error, created_at, succeeded_at`

func scanRefund(row interface{ Scan(...any) error }) (model.Refund, error) {
	var r model.Refund
	var created string
	var ok sql.NullString
	if err := row.Scan(&r.OutRefundNo, &r.OutTradeNo, &r.StoreID, &r.AmountFen, &r.State, &r.RefundID, &r.OperatorID, &r.Reason, &r.LastError, &created, &ok); err != nil {
		return r, notFound(err)
	}
	r.CreatedAt, r.SucceededAt = parseTS(created), parseNTS(ok)
	return r, nil
}

// BeginRefund records a PENDING refund before WeChat is asked, so that what
// is left of the order is counted under a lock: concurrent refunds of one
// order serialize on the order row. The same out_refund_no with the same
// order and amount returns the existing refund (created false); with other
// values it is ErrRefundDiffer. More than what is left (paid − every refund
// not FAILED) is ErrOverRefund; an unpaid order is ErrNotPaid.
func (s *Storage) BeginRefund(ctx context.Context, r model.Refund) (out model.Refund, created bool, err error) {
	err = s.tx(ctx, func(tx *sql.Tx) error {
		o, err := s.lockOrder(ctx, tx, r.OutTradeNo)
		if err != nil {
			return err
		}
		old, err := scanRefund(tx.QueryRowContext(ctx, s.q(`SELECT `+refundCols+` FROM refunds WHERE out_refund_no = ?`), r.OutRefundNo))
		switch {
		case err == nil:
			if old.OutTradeNo != r.OutTradeNo || old.AmountFen != r.AmountFen {
				return ErrRefundDiffer
			}
			out = old
			return nil
		case !errors.Is(err, ErrNotFound):
			return err
		}
		if !o.Paid() {
			return ErrNotPaid
		}
		var taken int64
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COALESCE(SUM(amount_fen), 0) FROM refunds WHERE out_trade_no = ? AND state <> ?`),
			r.OutTradeNo, model.RefundFailed).Scan(&taken); err != nil {
			return err
		}
		if r.AmountFen <= 0 || taken+r.AmountFen > o.AmountFen {
			return fmt.Errorf("%w: %d fen asked, %d of %d already refunded or in progress", ErrOverRefund, r.AmountFen, taken, o.AmountFen)
		}
		r.StoreID, r.State = o.StoreID, model.RefundPending
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO refunds (out_refund_no, out_trade_no, store_id, amount_fen, state, operator_id, reason, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`), r.OutRefundNo, r.OutTradeNo, r.StoreID, r.AmountFen, r.State, r.OperatorID, r.Reason, ts(r.CreatedAt)); err != nil {
			return err
		}
		out, created = r, true
		return nil
	})
	if err != nil {
		return out, false, fmt.Errorf("storage: begin refund: %w", err)
	}
	return out, created, nil
}

// Refund returns one refund.
func (s *Storage) Refund(ctx context.Context, outRefundNo string) (model.Refund, error) {
	r, err := scanRefund(s.db.QueryRowContext(ctx, s.q(`SELECT `+refundCols+` FROM refunds WHERE out_refund_no = ?`), outRefundNo))
	if err != nil {
		return r, fmt.Errorf("storage: refund: %w", err)
	}
	return r, nil
}

// RefundsOf lists an order's refunds, oldest first.
func (s *Storage) RefundsOf(ctx context.Context, outTradeNo string) ([]model.Refund, error) {
	return s.refundList(ctx, `SELECT `+refundCols+` FROM refunds WHERE out_trade_no = ? ORDER BY created_at, out_refund_no`, outTradeNo)
}

// UnsettledRefunds lists PENDING and PROCESSING refunds created before
// cutoff, oldest first (the reconciler polls them).
func (s *Storage) UnsettledRefunds(ctx context.Context, cutoff time.Time, limit int) ([]model.Refund, error) {
	return s.refundList(ctx, `SELECT `+refundCols+` FROM refunds WHERE state IN (?, ?) AND created_at < ? ORDER BY created_at LIMIT ?`,
		model.RefundPending, model.RefundProcessing, ts(cutoff), limit)
}

func (s *Storage) refundList(ctx context.Context, query string, args ...any) ([]model.Refund, error) {
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("storage: refunds: %w", err)
	}
	defer rows.Close()
	var out []model.Refund
	for rows.Next() {
		r, err := scanRefund(rows)
		if err != nil {
			return nil, fmt.Errorf("storage: refunds: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// SetRefundState records PROCESSING or FAILED (never over SUCCESS).
func (s *Storage) SetRefundState(ctx context.Context, outRefundNo, state, refundID, lastErr string) error {
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE refunds SET state = ?, refund_id = CASE WHEN ? = '' THEN refund_id ELSE ? END, last_error = ?
		WHERE out_refund_no = ? AND state <> ?`), state, refundID, refundID, lastErr, outRefundNo, model.RefundSucceeded)
	if err != nil {
		return fmt.Errorf("storage: set refund state: %w", err)
	}
	return nil
}

// MarkRefunded moves a refund to SUCCESS (guarded by state <> 'SUCCESS'),
// adds it to the order's refunded total and, in the same transaction, writes
// the outbox rows build returns. changed is false for a repeat.
func (s *Storage) MarkRefunded(ctx context.Context, outRefundNo, refundID string, at, now time.Time,
	build func(o model.Order, r model.Refund) (Envelopes, error)) (r model.Refund, changed bool, err error) {
	err = s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE refunds SET state = ?, succeeded_at = ?, refund_id = CASE WHEN ? = '' THEN refund_id ELSE ? END, last_error = ''
			WHERE out_refund_no = ? AND state <> ?`), model.RefundSucceeded, ts(at), refundID, refundID, outRefundNo, model.RefundSucceeded)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		r, err = scanRefund(tx.QueryRowContext(ctx, s.q(`SELECT `+refundCols+` FROM refunds WHERE out_refund_no = ?`), outRefundNo))
		if err != nil || n == 0 {
			return err
		}
		changed = true
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE orders SET refunded_fen = refunded_fen + ?, state = ? WHERE out_trade_no = ?`),
			r.AmountFen, model.OrderRefund, r.OutTradeNo); err != nil {
			return err
		}
		o, err := scanOrder(tx.QueryRowContext(ctx, s.q(`SELECT `+orderCols+` FROM orders WHERE out_trade_no = ?`), r.OutTradeNo))
		if err != nil {
			return err
		}
		env, err := build(o, r)
		if err != nil {
			return err
		}
		return s.writeEnvelopes(ctx, tx, o.StoreID, r.OutRefundNo, now, env)
	})
	if err != nil {
		return r, false, fmt.Errorf("storage: mark refunded: %w", err)
	}
	return r, changed, nil
}
