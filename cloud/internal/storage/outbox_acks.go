package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/model"
)

// StandAck is a stand's ack of an outbox row: the row id it names and the
// stand whose up topic it came on.
type StandAck struct {
	StandID, ID string
}

// OutboxAckedBatch is OutboxAcked for several acks in one transaction (one
// commit, one fsync on SQLite, for a burst of acks). ok[i] reports whether
// acks[i] delivered a pending row of its stand.
func (s *Storage) OutboxAckedBatch(ctx context.Context, acks []StandAck, now time.Time) (ok []bool, err error) {
	ok = make([]bool, len(acks))
	err = s.tx(ctx, func(tx *sql.Tx) error {
		for i, a := range acks {
			res, err := tx.ExecContext(ctx, s.q(`UPDATE outbox SET state = ?, delivered_at = ? WHERE id = ? AND stand_id = ? AND state = ?`),
				model.OutboxDelivered, ts(now), a.ID, a.StandID, model.OutboxPending)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			ok[i] = n == 1
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("storage: outbox acks: %w", err)
	}
	return ok, nil
}
