package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/mqtt"
)

// ResendDelivered answers a stand that lost events (its hello's last_seq
// is below seqs it acked: a journal that lost its tail, a damaged journal
// replaced, a new SD card). Its delivered rows with a seq above afterSeq,
// created at or after since and of one of types, go back to pending with
// their envelope marked resent (same id and seq), so the dispatcher sends
// them again until the stand acks them. It returns how many rows it
// reopened.
func (s *Storage) ResendDelivered(ctx context.Context, standID string, afterSeq int64, since, now time.Time, types []mqtt.Kind) (int, error) {
	if len(types) == 0 {
		return 0, nil
	}
	args := []any{standID, model.OutboxStand, model.OutboxDelivered, afterSeq, ts(since)}
	for _, t := range types {
		args = append(args, string(t))
	}
	q := `SELECT id, payload FROM outbox WHERE stand_id = ? AND kind = ? AND state = ? AND seq > ? AND created_at >= ?
		AND type IN (` + strings.TrimSuffix(strings.Repeat("?,", len(types)), ",") + `) ORDER BY seq`
	n := 0
	err := s.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, s.q(q), args...)
		if err != nil {
			return err
		}
		type row struct{ id, payload string }
		var found []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.payload); err != nil {
				rows.Close()
				return err
			}
			found = append(found, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range found {
			m, err := mqtt.Unmarshal([]byte(r.payload))
			if err != nil {
				return fmt.Errorf("row %s: %w", r.id, err)
			}
			m.Resent = true
			b, err := m.Marshal()
			if err != nil {
				return fmt.Errorf("row %s: %w", r.id, err)
			}
			res, err := tx.ExecContext(ctx, s.q(`UPDATE outbox SET state = ?, payload = ?, attempts = 0, next_at = ?, delivered_at = NULL
				WHERE id = ? AND state = ?`), model.OutboxPending, string(b), ts(now), r.id, model.OutboxDelivered)
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k == 1 {
				n++
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("storage: resend delivered: %w", err)
	}
	return n, nil
}

// DeliveredAfter reports whether standID has a delivered row of one of
// types with a seq above afterSeq: a cheap check made on every hello before
// ResendDelivered (it uses the (stand_id, seq) index).
func (s *Storage) DeliveredAfter(ctx context.Context, standID string, afterSeq int64, types []mqtt.Kind) (bool, error) {
	if len(types) == 0 {
		return false, nil
	}
	args := []any{standID, afterSeq, model.OutboxStand, model.OutboxDelivered}
	for _, t := range types {
		args = append(args, string(t))
	}
	var one int
	err := s.db.QueryRowContext(ctx, s.q(`SELECT 1 FROM outbox WHERE stand_id = ? AND seq > ? AND kind = ? AND state = ?
		AND type IN (`+strings.TrimSuffix(strings.Repeat("?,", len(types)), ",")+`) LIMIT 1`), args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("storage: delivered after: %w", err)
	}
	return true, nil
}

// Why an ack matched no pending row (see OutboxAckMiss).
const (
	AckUnknown = "unknown" // no outbox row has that id
	AckForeign = "foreign" // the row belongs to another stand
	AckRepeat  = "repeat"  // the stand's own row, already delivered (a duplicate ack)
)

// OutboxAckMiss explains an ack for which OutboxAcked reported false.
func (s *Storage) OutboxAckMiss(ctx context.Context, standID, id string) (string, error) {
	var stand sql.NullString
	var state string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT stand_id, state FROM outbox WHERE id = ?`), id).Scan(&stand, &state)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return AckUnknown, nil
	case err != nil:
		return "", fmt.Errorf("storage: outbox ack miss: %w", err)
	case stand.String != standID:
		return AckForeign, nil
	}
	return AckRepeat, nil
}
