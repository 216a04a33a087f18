package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/mqtt"
)

// LedgerEntry is a stand's latest report on one event (mqtt.Ledger).
type LedgerEntry struct {
	StandID     string
	EventID     string
	Kind        string
	OrderNo     string
	CatchUp     bool
	JournaledAt time.Time
	Announce    string // mqtt.Announce*
	AnnouncedAt time.Time
	Print       string // mqtt.Print*
	PrintedAt   time.Time
	ReportedAt  time.Time
}

// Announced reports whether the event was said, alone or in a summary.
func (e LedgerEntry) Announced() bool {
	return e.Announce == mqtt.AnnounceSpoken || e.Announce == mqtt.AnnounceSummary
}

// RecordLedger stores a stand's ledger report, replacing an earlier one for
// the same event. Only events the cloud sent to that very stand are kept
// (the outbox row names it), so a stand can neither speak for another
// stand's events nor fill the table with made-up ones; recorded is false
// for anything else.
func (s *Storage) RecordLedger(ctx context.Context, standID string, l *mqtt.Ledger, at time.Time) (recorded bool, err error) {
	err = s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM outbox WHERE id = ? AND stand_id = ? AND kind = ?`), l.Ref, standID, model.OutboxStand).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM stand_ledger WHERE stand_id = ? AND event_id = ?`), standID, l.Ref); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO stand_ledger (stand_id, event_id, kind, order_no, catch_up, journaled_at, announce, announced_at, print, printed_at, reported_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			standID, l.Ref, string(l.Event), l.OrderNo, b2i(l.CatchUp), ts(l.JournaledAt), l.Announce, nts(l.AnnouncedAt), l.Print, nts(l.PrintedAt), ts(at))
		recorded = err == nil
		return err
	})
	if err != nil {
		return false, fmt.Errorf("storage: ledger: %w", err)
	}
	return recorded, nil
}

// nts is ts for an optional time (NULL when zero).
func nts(t time.Time) sql.NullString {
	if t.IsZero() {
		return sql.NullString{}
	}
	return sql.NullString{String: ts(t), Valid: true}
}

// EventLine is one event the cloud sent a stand, with the outbox's view
// (delivered = acked) and the stand's ledger report, if any.
type EventLine struct {
	StandID     string
	EventID     string
	Seq         int64
	Type        string
	Ref         string // order or refund number
	State       string // outbox state
	CreatedAt   time.Time
	DeliveredAt time.Time
	Ledger      *LedgerEntry // nil: no report yet
	StandOnline bool
	StandSince  time.Time
}

const eventLineSelect = `SELECT o.stand_id, o.id, COALESCE(o.seq, 0), o.type, o.ref, o.state, o.created_at, o.delivered_at,
	l.kind, l.order_no, COALESCE(l.catch_up, 0), l.journaled_at, l.announce, l.announced_at, l.print, l.printed_at, l.reported_at,
	COALESCE(h.online, 0), h.since
FROM outbox o
LEFT JOIN stand_ledger l ON l.stand_id = o.stand_id AND l.event_id = o.id
LEFT JOIN stand_health h ON h.stand_id = o.stand_id`

func scanEventLines(rows *sql.Rows) ([]EventLine, error) {
	defer rows.Close()
	var out []EventLine
	for rows.Next() {
		var e EventLine
		var created string
		var delivered, kind, orderNo, journaled, announce, announced, print, printed, reported, since sql.NullString
		var catchUp, online int
		if err := rows.Scan(&e.StandID, &e.EventID, &e.Seq, &e.Type, &e.Ref, &e.State, &created, &delivered,
			&kind, &orderNo, &catchUp, &journaled, &announce, &announced, &print, &printed, &reported, &online, &since); err != nil {
			return nil, err
		}
		e.CreatedAt, e.DeliveredAt = parseTS(created), parseNTS(delivered)
		e.StandOnline, e.StandSince = online == 1, parseNTS(since)
		if kind.Valid {
			e.Ledger = &LedgerEntry{StandID: e.StandID, EventID: e.EventID, Kind: kind.String, OrderNo: orderNo.String, CatchUp: catchUp == 1,
				JournaledAt: parseNTS(journaled), Announce: announce.String, AnnouncedAt: parseNTS(announced), Print: print.String,
				PrintedAt: parseNTS(printed), ReportedAt: parseNTS(reported)}
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// OrderLedger returns, for each stand an order's payment.paid went to, the
// outbox row and the stand's ledger report.
func (s *Storage) OrderLedger(ctx context.Context, orderNo string) ([]EventLine, error) {
	rows, err := s.db.QueryContext(ctx, s.q(eventLineSelect+` WHERE o.ref = ? AND o.kind = ? AND o.type = ? ORDER BY o.stand_id`),
		orderNo, model.OutboxStand, string(mqtt.KindPaymentPaid))
	if err != nil {
		return nil, fmt.Errorf("storage: order ledger: %w", err)
	}
	out, err := scanEventLines(rows)
	if err != nil {
		return nil, fmt.Errorf("storage: order ledger: %w", err)
	}
	return out, nil
}

// StandEvents returns a stand's most recent events, newest first.
func (s *Storage) StandEvents(ctx context.Context, standID string, limit int) ([]EventLine, error) {
	rows, err := s.db.QueryContext(ctx, s.q(eventLineSelect+fmt.Sprintf(` WHERE o.stand_id = ? AND o.kind = ? ORDER BY o.seq DESC LIMIT %d`, max(1, limit))),
		standID, model.OutboxStand)
	if err != nil {
		return nil, fmt.Errorf("storage: stand events: %w", err)
	}
	out, err := scanEventLines(rows)
	if err != nil {
		return nil, fmt.Errorf("storage: stand events: %w", err)
	}
	return out, nil
}

// Unannounced is a paid order no stand announced within the window.
type Unannounced struct {
	OrderNo     string
	StoreID     string
	StoreName   string
	AmountFen   int64
	PaidAt      time.Time
	AnnouncedAt time.Time // zero: never announced
}

// UnannouncedFilter scopes a report of unannounced payments.
type UnannouncedFilter struct {
	ProviderID string // "" = every provider (operator)
	StoreID    string // "" = every store in scope
	Since      time.Time
	// Within is how soon after payment an announcement counts.
	Within time.Duration
	// Now: orders paid after Now − Within are still in their window and
	// not listed.
	Now   time.Time
	Limit int // default 200
}

// UnannouncedPayments lists payments to stores with stands, paid since
// f.Since, that no stand announced (spoken or in a catch-up summary)
// within f.Within of the payment. Newest first.
func (s *Storage) UnannouncedPayments(ctx context.Context, f UnannouncedFilter) ([]Unannounced, error) {
	q := `SELECT o.out_trade_no, o.store_id, st.name, o.amount_fen, o.paid_at,
		(SELECT MIN(l.announced_at) FROM outbox x JOIN stand_ledger l ON l.stand_id = x.stand_id AND l.event_id = x.id
		 WHERE x.ref = o.out_trade_no AND x.kind = ? AND x.type = ? AND l.announced_at IS NOT NULL)
	FROM orders o JOIN stores st ON st.id = o.store_id
	WHERE o.paid_at IS NOT NULL AND o.paid_at >= ? AND o.paid_at <= ?
	AND EXISTS (SELECT 1 FROM outbox y WHERE y.ref = o.out_trade_no AND y.kind = ? AND y.type = ?)`
	args := []any{model.OutboxStand, string(mqtt.KindPaymentPaid), ts(f.Since), ts(f.Now.Add(-f.Within)), model.OutboxStand, string(mqtt.KindPaymentPaid)}
	if f.ProviderID != "" {
		q += ` AND o.provider_id = ?`
		args = append(args, f.ProviderID)
	}
	if f.StoreID != "" {
		q += ` AND o.store_id = ?`
		args = append(args, f.StoreID)
	}
	q += ` ORDER BY o.paid_at DESC`
	rows, err := s.db.QueryContext(ctx, s.q(q), args...)
	if err != nil {
		return nil, fmt.Errorf("storage: unannounced: %w", err)
	}
	defer rows.Close()
	if f.Limit <= 0 {
		f.Limit = 200
	}
	var out []Unannounced
	for rows.Next() {
		var u Unannounced
		var paid string
		var announced sql.NullString
		if err := rows.Scan(&u.OrderNo, &u.StoreID, &u.StoreName, &u.AmountFen, &paid, &announced); err != nil {
			return nil, fmt.Errorf("storage: unannounced: %w", err)
		}
		u.PaidAt, u.AnnouncedAt = parseTS(paid), parseNTS(announced)
		if !u.AnnouncedAt.IsZero() && u.AnnouncedAt.Sub(u.PaidAt) <= f.Within {
			continue
		}
		if len(out) < f.Limit {
			out = append(out, u)
		}
	}
	return out, rows.Err()
}
