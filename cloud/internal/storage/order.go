package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/database"
	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/mqtt"
)

// Errors of the payment storage that callers branch on.
var (
	ErrOverRefund   = errors.New("storage: refund exceeds what is left of the order")
	ErrNotPaid      = errors.New("storage: order is not paid")
	ErrRefundDiffer = errors.New("storage: out_refund_no already used for another refund")
)

const orderCols = `out_trade_no, store_id, merchant_id, provider_id, sp_mchid, sub_mchid, clerk_id, shift_id, on_duty_id,
	amount_fen, refunded_fen, remark, payer_openid, state, prepay_id, transaction_id, paid_via, created_at, time_expire, paid_at, closed_at`

func scanOrder(row interface{ Scan(...any) error }) (model.Order, error) {
	var o model.Order
	var created, expire string
	var paid, closed sql.NullString
	err := row.Scan(&o.OutTradeNo, &o.StoreID, &o.MerchantID, &o.ProviderID, &o.SpMchID, &o.SubMchID, &o.ClerkID, &o.ShiftID, &o.OnDutyID,
		&o.AmountFen, &o.RefundedFen, &o.Remark, &o.PayerOpenID, &o.State, &o.PrepayID, &o.TransactionID, &o.PaidVia, &created, &expire, &paid, &closed)
	if err != nil {
		return o, notFound(err)
	}
	o.CreatedAt, o.TimeExpire, o.PaidAt, o.ClosedAt = parseTS(created), parseTS(expire), parseNTS(paid), parseNTS(closed)
	return o, nil
}

// CreateOrder records a new NOTPAY order. A taken out_trade_no is
// ErrConflict.
func (s *Storage) CreateOrder(ctx context.Context, o model.Order) error {
	if o.AmountFen <= 0 {
		return fmt.Errorf("storage: create order: amount %d fen", o.AmountFen)
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM orders WHERE out_trade_no = ?`), o.OutTradeNo).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return ErrConflict
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO orders (out_trade_no, store_id, merchant_id, provider_id, sp_mchid, sub_mchid, clerk_id,
			amount_fen, remark, payer_openid, state, created_at, time_expire) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			o.OutTradeNo, o.StoreID, o.MerchantID, o.ProviderID, o.SpMchID, o.SubMchID, o.ClerkID,
			o.AmountFen, o.Remark, o.PayerOpenID, model.OrderNotPay, ts(o.CreatedAt), ts(o.TimeExpire))
		return err
	})
	if err != nil {
		return fmt.Errorf("storage: create order: %w", err)
	}
	return nil
}

// SetPrepayID records WeChat's prepay_id of an order.
func (s *Storage) SetPrepayID(ctx context.Context, outTradeNo, prepayID string) error {
	if _, err := s.db.ExecContext(ctx, s.q(`UPDATE orders SET prepay_id = ? WHERE out_trade_no = ?`), prepayID, outTradeNo); err != nil {
		return fmt.Errorf("storage: set prepay id: %w", err)
	}
	return nil
}

// Order returns one order.
func (s *Storage) Order(ctx context.Context, outTradeNo string) (model.Order, error) {
	o, err := scanOrder(s.db.QueryRowContext(ctx, s.q(`SELECT `+orderCols+` FROM orders WHERE out_trade_no = ?`), outTradeNo))
	if err != nil {
		return o, fmt.Errorf("storage: order: %w", err)
	}
	return o, nil
}

// UnpaidOrders lists NOTPAY orders created before cutoff, oldest first: the
// reconciler queries them and closes the expired ones.
func (s *Storage) UnpaidOrders(ctx context.Context, cutoff time.Time, limit int) ([]model.Order, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+orderCols+` FROM orders WHERE state = ? AND created_at < ? ORDER BY created_at LIMIT ?`),
		model.OrderNotPay, ts(cutoff), limit)
	if err != nil {
		return nil, fmt.Errorf("storage: unpaid orders: %w", err)
	}
	defer rows.Close()
	var out []model.Order
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			return nil, fmt.Errorf("storage: unpaid orders: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// CloseOrder moves a NOTPAY order to CLOSED; it reports whether it did.
func (s *Storage) CloseOrder(ctx context.Context, outTradeNo string, now time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE orders SET state = ?, closed_at = ? WHERE out_trade_no = ? AND state = ?`),
		model.OrderClosed, ts(now), outTradeNo, model.OrderNotPay)
	if err != nil {
		return false, fmt.Errorf("storage: close order: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// Paid is what WeChat told us about a paid order.
type Paid struct {
	OutTradeNo    string
	TransactionID string
	PayerOpenID   string
	PaidAt        time.Time
	Via           string // "notify" or "query"
	ShiftID       string // the store's open shift now, if any
	OnDutyID      string
	// StoreID is the order's store when the caller knows it: on
	// PostgreSQL the group commit batches paid orders by store (see
	// paidBatcher). Empty is allowed; such orders batch together.
	StoreID string
}

// Envelopes are the outbox rows a state change produces: Stand (when not
// nil) goes to every stand bound to the store, each copy with its own
// envelope id and per-stand seq; every Template goes to one person.
type Envelopes struct {
	Stand     mqtt.Body
	Templates []Template
}

// Template is one staff message. ID is the outbox row id and doubles as
// the client_msg_id WeChat deduplicates on.
type Template struct {
	ID         string
	ToOpenID   string
	ProviderID string // whose official account sends it
	Payload    []byte
}

// MarkPaid moves an order NOTPAY→SUCCESS with `UPDATE … WHERE state =
// 'NOTPAY'` and, in the same transaction, writes the outbox rows build
// returns for the changed order: one per stand bound to the store and one
// per template. changed is false (and nothing is written) when the order
// was not NOTPAY: a duplicate notify, or a query racing a notify.
//
// The call joins a group commit (see paidBatcher): it returns once the
// transaction holding its change has committed durably (SQLite
// synchronous=FULL, PostgreSQL synchronous_commit on), or once ctx ends.
func (s *Storage) MarkPaid(ctx context.Context, p Paid, now time.Time, build func(o model.Order) (Envelopes, error)) (o model.Order, changed bool, err error) {
	return s.paid.markPaid(&paidItem{ctx: ctx, p: p, now: now, build: build})
}

// lockOrder reads an order for update (PostgreSQL row lock; SQLite write
// transactions are exclusive already).
func (s *Storage) lockOrder(ctx context.Context, tx *sql.Tx, outTradeNo string) (model.Order, error) {
	q := `SELECT ` + orderCols + ` FROM orders WHERE out_trade_no = ?`
	if s.dialect == database.Postgres {
		q += ` FOR UPDATE`
	}
	return scanOrder(tx.QueryRowContext(ctx, s.q(q), outTradeNo))
}
