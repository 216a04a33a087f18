package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/model"
)

// Stand alerts: staff who opted in get an official-account template
// message when a stand of their store runs out of paper, runs low on
// battery or stays offline. Each (stand, kind) is raised once until it
// clears, and a cleared-and-raised-again alert waits out a quiet period.

// SetAlertOptIn records whether staff member id wants stand alerts.
func (s *Storage) SetAlertOptIn(ctx context.Context, id string, on bool, now time.Time) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM alert_optins WHERE staff_id = ?`), id); err != nil {
			return err
		}
		if !on {
			return nil
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO alert_optins (staff_id, created_at) VALUES (?, ?)`), id, ts(now))
		return err
	})
	if err != nil {
		return fmt.Errorf("storage: alert opt-in: %w", err)
	}
	return nil
}

// AlertOptedIn reports whether staff member id opted in to stand alerts.
func (s *Storage) AlertOptedIn(ctx context.Context, id string) (bool, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM alert_optins WHERE staff_id = ?`), id).Scan(&n); err != nil {
		return false, fmt.Errorf("storage: alert opt-in: %w", err)
	}
	return n > 0, nil
}

// AlertRecipients returns the active staff who opted in to alerts about a
// stand of storeID: the store's managers and its merchant's admins (the
// roles that manage a store; the opt-in is per role membership).
func (s *Storage) AlertRecipients(ctx context.Context, storeID string) ([]model.Staff, error) {
	st, err := s.Store(ctx, storeID)
	if err != nil {
		return nil, err
	}
	out, err := s.staffList(ctx, s.db, `SELECT `+staffCols+` FROM staff WHERE openid IS NOT NULL AND removed_at IS NULL
		AND id IN (SELECT staff_id FROM alert_optins)
		AND ((role = ? AND store_id = ?) OR (role = ? AND merchant_id = ?)) ORDER BY created_at, id`,
		string(model.RoleManager), storeID, string(model.RoleAdmin), st.MerchantID)
	if err != nil {
		return nil, fmt.Errorf("storage: alert recipients: %w", err)
	}
	return out, nil
}

// RaiseAlert marks alert kind of a stand active. When it was not active
// already and none was sent within quiet, it inserts the templates build
// returns (one outbox row each) in the same transaction and reports sent.
func (s *Storage) RaiseAlert(ctx context.Context, standID, kind string, now time.Time, quiet time.Duration, build func() ([]Template, error)) (sent bool, err error) {
	err = s.tx(ctx, func(tx *sql.Tx) error {
		var active int
		var lastSent sql.NullString
		err := tx.QueryRowContext(ctx, s.q(`SELECT active, last_sent_at FROM stand_alerts WHERE stand_id = ? AND kind = ?`), standID, kind).Scan(&active, &lastSent)
		switch {
		case err == sql.ErrNoRows:
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO stand_alerts (stand_id, kind, active, raised_at) VALUES (?, ?, 1, ?)`), standID, kind, ts(now)); err != nil {
				return err
			}
		case err != nil:
			return err
		case active == 1:
			return nil // raised before: said once
		default:
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE stand_alerts SET active = 1, raised_at = ? WHERE stand_id = ? AND kind = ?`), ts(now), standID, kind); err != nil {
				return err
			}
			if last := parseNTS(lastSent); !last.IsZero() && now.Sub(last) < quiet {
				return nil // flapping: the quiet period holds it back
			}
		}
		ts0, err := build()
		if err != nil {
			return err
		}
		const ins = `INSERT INTO outbox (id, kind, stand_id, seq, to_openid, type, payload, ref, state, next_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
		for _, t := range ts0 {
			if _, err := tx.ExecContext(ctx, s.q(ins), t.ID, model.OutboxTemplate, nil, nil, t.ToOpenID, "template", string(t.Payload), "alert:"+standID,
				model.OutboxPending, ts(now), ts(now)); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE stand_alerts SET last_sent_at = ? WHERE stand_id = ? AND kind = ?`), ts(now), standID, kind); err != nil {
			return err
		}
		sent = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("storage: raise alert: %w", err)
	}
	return sent, nil
}

// ClearAlert marks alert kind of a stand over (paper back, charged,
// online again).
func (s *Storage) ClearAlert(ctx context.Context, standID, kind string) error {
	if _, err := s.db.ExecContext(ctx, s.q(`UPDATE stand_alerts SET active = 0 WHERE stand_id = ? AND kind = ?`), standID, kind); err != nil {
		return fmt.Errorf("storage: clear alert: %w", err)
	}
	return nil
}

// ActiveAlerts lists the active alert kinds of a stand.
func (s *Storage) ActiveAlerts(ctx context.Context, standID string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT kind FROM stand_alerts WHERE stand_id = ? AND active = 1 ORDER BY kind`), standID)
	if err != nil {
		return nil, fmt.Errorf("storage: active alerts: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// AlertKindOffline is the offline alert's kind (outbox.AlertOffline).
const AlertKindOffline = "offline"

// OfflineStands lists bound, unrevoked stands whose presence has said
// offline since before cutoff and whose offline alert is not active
// (candidates for the offline alert).
func (s *Storage) OfflineStands(ctx context.Context, cutoff time.Time) ([]FleetStand, error) {
	// Stands already alerted are left out: the check runs every few
	// seconds over the whole fleet.
	rows, err := s.db.QueryContext(ctx, s.q(fleetSelect+` WHERE s.store_id IS NOT NULL AND s.revoked_at IS NULL AND h.online = 0 AND h.since <= ?
		AND NOT EXISTS (SELECT 1 FROM stand_alerts a WHERE a.stand_id = s.id AND a.kind = ? AND a.active = 1) ORDER BY s.id`), ts(cutoff), AlertKindOffline)
	if err != nil {
		return nil, fmt.Errorf("storage: offline stands: %w", err)
	}
	defer rows.Close()
	var out []FleetStand
	for rows.Next() {
		f, err := scanFleet(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}
