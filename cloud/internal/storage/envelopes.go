package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/mqtt"
)

// The statements behind writeEnvelopes, kept few: a paid order's
// transaction runs them once per notify, and on SQLite every statement is
// a cgo call made while the whole database's write lock is held.

// storeStands lists the stands bound to storeID inside tx.
func (s *Storage) storeStands(ctx context.Context, tx *sql.Tx, storeID string) ([]string, error) {
	rows, err := tx.QueryContext(ctx, s.q(`SELECT id FROM stands WHERE store_id = ? ORDER BY id`), storeID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var stands []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		stands = append(stands, id)
	}
	return stands, rows.Err()
}

// nextSeqs allocates the next outbox sequence number of each stand inside
// tx, in one statement (an upsert that creates a stand's counter at 1).
// On PostgreSQL it locks each stand's counter row until tx ends.
func (s *Storage) nextSeqs(ctx context.Context, tx *sql.Tx, stands []string) (map[string]int64, error) {
	if len(stands) == 0 {
		return nil, nil
	}
	args := make([]any, len(stands))
	for i, id := range stands {
		args[i] = id
	}
	rows, err := tx.QueryContext(ctx, s.q(`INSERT INTO stand_seq (stand_id, last_seq) VALUES `+
		strings.TrimSuffix(strings.Repeat(`(?, 1), `, len(stands)), `, `)+
		` ON CONFLICT (stand_id) DO UPDATE SET last_seq = stand_seq.last_seq + 1 RETURNING stand_id, last_seq`), args...)
	if err != nil {
		return nil, fmt.Errorf("seq: %w", err)
	}
	defer rows.Close()
	seqs := make(map[string]int64, len(stands))
	for rows.Next() {
		var id string
		var seq int64
		if err := rows.Scan(&id, &seq); err != nil {
			return nil, fmt.Errorf("seq: %w", err)
		}
		seqs[id] = seq
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("seq: %w", err)
	}
	if len(seqs) != len(stands) {
		return nil, fmt.Errorf("seq: %d counters for %d stands", len(seqs), len(stands))
	}
	return seqs, nil
}

// insertEnvelopes writes env into the outbox inside tx, in one INSERT: a
// copy of env.Stand to each of stands, each with its own envelope id and
// seq, and one row per template.
func (s *Storage) insertEnvelopes(ctx context.Context, tx *sql.Tx, stands []string, ref string, now time.Time, env Envelopes) error {
	if env.Stand == nil {
		stands = nil
	}
	n := len(stands) + len(env.Templates)
	if n == 0 {
		return nil
	}
	seqs, err := s.nextSeqs(ctx, tx, stands)
	if err != nil {
		return err
	}
	const cols = 12
	args := make([]any, 0, n*cols)
	for _, stand := range stands {
		m := mqtt.New(env.Stand, now)
		m.Seq = seqs[stand]
		payload, err := m.Marshal()
		if err != nil {
			return err
		}
		args = append(args, m.ID, model.OutboxStand, stand, m.Seq, "", string(m.Type), string(payload), ref,
			model.OutboxPending, ts(now), ts(now), "")
	}
	for _, t := range env.Templates {
		args = append(args, t.ID, model.OutboxTemplate, nil, nil, t.ToOpenID, "template", string(t.Payload), ref,
			model.OutboxPending, ts(now), ts(now), t.ProviderID)
	}
	row := `(` + strings.TrimSuffix(strings.Repeat(`?, `, cols), `, `) + `)`
	q := `INSERT INTO outbox (id, kind, stand_id, seq, to_openid, type, payload, ref, state, next_at, created_at, provider_id) VALUES ` +
		strings.TrimSuffix(strings.Repeat(row+`, `, n), `, `)
	if _, err := tx.ExecContext(ctx, s.q(q), args...); err != nil {
		return fmt.Errorf("outbox insert: %w", err)
	}
	return nil
}
