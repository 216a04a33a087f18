package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/database"
	"github.com/qrstand/qrstand/cloud/internal/model"
)

// The outbox (DESIGN §5): rows written in the transaction of the state
// change they announce, delivered by cloud/internal/outbox until a stand's
// ack (stand rows) or WeChat's answer (template rows) marks them delivered.

const outboxCols = `id, kind, stand_id, seq, to_openid, type, payload, ref, state, attempts, next_at, created_at, delivered_at, last_error, provider_id, claimed_by`

// scanOutboxRows reads every row of a query of outboxCols and closes it.
func scanOutboxRows(rows *sql.Rows) ([]model.OutboxRow, error) {
	defer rows.Close()
	var out []model.OutboxRow
	for rows.Next() {
		r, err := scanOutbox(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func scanOutbox(row interface{ Scan(...any) error }) (model.OutboxRow, error) {
	var r model.OutboxRow
	var stand sql.NullString
	var seq sql.NullInt64
	var payload, next, created string
	var delivered sql.NullString
	if err := row.Scan(&r.ID, &r.Kind, &stand, &seq, &r.ToOpenID, &r.Type, &payload, &r.Ref, &r.State, &r.Attempts, &next, &created, &delivered, &r.LastError, &r.ProviderID, &r.ClaimedBy); err != nil {
		return r, notFound(err)
	}
	r.StandID, r.Seq, r.Payload = stand.String, seq.Int64, []byte(payload)
	r.NextAt, r.CreatedAt, r.DeliveredAt = parseTS(next), parseTS(created), parseNTS(delivered)
	return r, nil
}

// writeEnvelopes inserts env's rows inside tx: one stand row per stand bound
// to storeID, one template row per template.
func (s *Storage) writeEnvelopes(ctx context.Context, tx *sql.Tx, storeID, ref string, now time.Time, env Envelopes) error {
	var stands []string
	if env.Stand != nil {
		var err error
		if stands, err = s.storeStands(ctx, tx, storeID); err != nil {
			return err
		}
	}
	return s.insertEnvelopes(ctx, tx, stands, ref, now, env)
}

// ClaimOutbox takes up to limit pending rows that are due at now and moves
// each one's next attempt to retry(attempts) from now, so another claimer
// (another node, or this one on its next tick) does not take it again
// until then: next_at is the claim's lease. A node that dies holding
// claims loses them when the lease runs out, and the first live node to
// look takes the rows over (claimed_by records who holds them).
// PostgreSQL claims with FOR UPDATE SKIP LOCKED, so nodes claiming at once
// split the due rows between them; SQLite's write transaction is exclusive.
func (s *Storage) ClaimOutbox(ctx context.Context, now time.Time, limit int, retry func(attempts int) time.Duration) ([]model.OutboxRow, error) {
	return s.ClaimOutboxKind(ctx, "", now, limit, retry)
}

// ClaimOutboxKind is ClaimOutbox for rows of one kind (model.OutboxStand
// or model.OutboxTemplate; "" for both), so stand rows and WeChat template
// rows can be claimed by separate loops: a slow WeChat must never hold up a
// stand.
func (s *Storage) ClaimOutboxKind(ctx context.Context, kind string, now time.Time, limit int, retry func(attempts int) time.Duration) ([]model.OutboxRow, error) {
	where, args := `state = ? AND next_at <= ?`, []any{model.OutboxPending, ts(now)}
	if kind != "" {
		where += ` AND kind = ?`
		args = append(args, kind)
	}
	// Most passes find nothing due: look without taking a write lock.
	var any string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT id FROM outbox WHERE `+where+` LIMIT 1`), args...).Scan(&any)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("storage: claim outbox: %w", err)
	}
	var out []model.OutboxRow
	err = s.tx(ctx, func(tx *sql.Tx) error {
		q := `SELECT ` + outboxCols + ` FROM outbox WHERE ` + where + ` ORDER BY next_at, id LIMIT ?` + s.forUpdate()
		rows, err := tx.QueryContext(ctx, s.q(q), append(args, limit)...)
		if err != nil {
			return err
		}
		if out, err = scanOutboxRows(rows); err != nil {
			return err
		}
		for i := range out {
			out[i].Attempts++
			out[i].NextAt = now.Add(retry(out[i].Attempts)).UTC()
			out[i].ClaimedBy = s.node
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE outbox SET attempts = ?, next_at = ?, claimed_by = ? WHERE id = ?`), out[i].Attempts, ts(out[i].NextAt), s.node, out[i].ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("storage: claim outbox: %w", err)
	}
	return out, nil
}

// OutboxAcked marks a stand row delivered on the stand's ack. It reports
// false for an unknown id, another stand's row, or a row already delivered.
func (s *Storage) OutboxAcked(ctx context.Context, standID, id string, now time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE outbox SET state = ?, delivered_at = ? WHERE id = ? AND stand_id = ? AND state = ?`),
		model.OutboxDelivered, ts(now), id, standID, model.OutboxPending)
	if err != nil {
		return false, fmt.Errorf("storage: outbox ack: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// OutboxDone marks a template row delivered (errText empty) or failed for
// good.
func (s *Storage) OutboxDone(ctx context.Context, id string, now time.Time, errText string) error {
	state := model.OutboxDelivered
	if errText != "" {
		state = model.OutboxFailed
	}
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE outbox SET state = ?, delivered_at = ?, last_error = ? WHERE id = ? AND state = ?`),
		state, ts(now), errText, id, model.OutboxPending)
	if err != nil {
		return fmt.Errorf("storage: outbox done: %w", err)
	}
	return nil
}

// OutboxNote records the last error of an attempt.
func (s *Storage) OutboxNote(ctx context.Context, id, errText string) error {
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE outbox SET last_error = ? WHERE id = ?`), errText, id)
	if err != nil {
		return fmt.Errorf("storage: outbox note: %w", err)
	}
	return nil
}

// StandPending returns a stand's pending rows in seq order and moves their
// next attempt to next (the caller is about to publish them all). Rows
// another node claimed and still holds under its lease are left to that
// node: with several nodes, each would otherwise resend every row the
// others just sent and are waiting to see acked (measured: one duplicate
// per row with two nodes), and two nodes deciding at once are serialised
// on the stand's seq row. A single node (or none named) takes them all.
func (s *Storage) StandPending(ctx context.Context, standID string, next time.Time) ([]model.OutboxRow, error) {
	return s.StandPendingN(ctx, standID, next, 0, 0)
}

// StandPendingN is StandPending for the limit oldest pending rows with a
// seq above after (all when limit <= 0): a sender that bounds a stand's
// rows in flight takes (and leases) only the ones it sends.
func (s *Storage) StandPendingN(ctx context.Context, standID string, next time.Time, after int64, limit int) ([]model.OutboxRow, error) {
	var out []model.OutboxRow
	now := ts(time.Now())
	const notLeased = ` AND NOT (claimed_by <> '' AND claimed_by <> ? AND next_at > ?)`
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if s.dialect == database.Postgres {
			// One node at a time decides what a stand is sent: two nodes
			// reading its unclaimed rows at once would both send them.
			// The second waits (briefly) and then sees the first's lease.
			// (SQLite's write transaction is exclusive already.)
			var last int64
			err := tx.QueryRowContext(ctx, s.q(`SELECT last_seq FROM stand_seq WHERE stand_id = ? FOR UPDATE`), standID).Scan(&last)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		q, args := `SELECT `+outboxCols+` FROM outbox WHERE stand_id = ? AND state = ? AND seq > ?`+notLeased+` ORDER BY seq`, []any{standID, model.OutboxPending, after, s.node, now}
		if limit > 0 {
			q += ` LIMIT ?`
			args = append(args, limit)
		}
		rows, err := tx.QueryContext(ctx, s.q(q), args...)
		if err != nil {
			return err
		}
		if out, err = scanOutboxRows(rows); err != nil {
			return err
		}
		if limit <= 0 && after <= 0 {
			_, err = tx.ExecContext(ctx, s.q(`UPDATE outbox SET attempts = attempts + 1, next_at = ?, claimed_by = ? WHERE stand_id = ? AND state = ?`+notLeased),
				ts(next), s.node, standID, model.OutboxPending, s.node, now)
			return err
		}
		for _, r := range out {
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE outbox SET attempts = attempts + 1, next_at = ?, claimed_by = ? WHERE id = ?`), ts(next), s.node, r.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("storage: stand pending: %w", err)
	}
	return out, nil
}

// OutboxByRef lists the rows written for an order or refund number, by
// kind, stand and seq (tests, the order page).
func (s *Storage) OutboxByRef(ctx context.Context, ref string) ([]model.OutboxRow, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+outboxCols+` FROM outbox WHERE ref = ? ORDER BY kind, stand_id, seq, id`), ref)
	if err != nil {
		return nil, fmt.Errorf("storage: outbox by ref: %w", err)
	}
	out, err := scanOutboxRows(rows)
	if err != nil {
		return nil, fmt.Errorf("storage: outbox by ref: %w", err)
	}
	return out, nil
}

// OutboxCounts counts rows by state (metrics, tests).
func (s *Storage) OutboxCounts(ctx context.Context) (map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT state, COUNT(*) FROM outbox GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("storage: outbox counts: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		out[strings.TrimSpace(st)] = n
	}
	return out, rows.Err()
}
