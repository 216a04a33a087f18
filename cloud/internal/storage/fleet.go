package storage

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"fmt"
	"strings"
	"time"

	"github.com/qrstand/qrstand/mqtt"
)

// The fleet: who owns a stand, whether it may connect, how it is doing
// (presence and its last status), and what it said about each event.

// StandHealth is what the cloud last heard from a stand.
type StandHealth struct {
	Online       bool
	Since        time.Time // presence last changed (online since / offline since)
	LastSeen     time.Time // last uplink or presence change
	Firmware     string
	BatteryPct   int // -1: no battery monitor or never reported
	Charging     bool
	OnBattery    bool
	Paper        string // mqtt.Paper*; empty: never reported
	PrinterModel string
	Pending      int // journaled events not yet finished
	Network      string
	SignalDBm    int
	StatusAt     time.Time
}

// FleetStand is one row of the fleet list: the stand, where it is bound and
// its health.
type FleetStand struct {
	ID           string
	ProviderID   string
	StoreID      string
	StoreName    string
	MerchantID   string
	MerchantName string
	// MerchantProviderID is the provider of the store's merchant.
	MerchantProviderID string
	CreatedAt          time.Time
	PairedAt           time.Time
	RevokedAt          time.Time
	Health             StandHealth
}

// OwnedBy reports whether provider id may manage the stand: it registered
// it, or the stand is bound to a store of one of its merchants.
func (f FleetStand) OwnedBy(providerID string) bool {
	return providerID != "" && (f.ProviderID == providerID || f.MerchantProviderID == providerID)
}

// Revoked reports whether the stand may no longer connect.
func (f FleetStand) Revoked() bool { return !f.RevokedAt.IsZero() }

// FleetFilter narrows ListFleet. Empty fields do not filter.
type FleetFilter struct {
	// ProviderID limits to stands the provider registered or whose store
	// belongs to one of its merchants (a provider's console).
	ProviderID string
	MerchantID string
	StoreID    string
	// Presence is "online", "offline" or "" (both).
	Presence string
	Limit    int // default 500
}

const fleetSelect = `SELECT s.id, COALESCE(s.provider_id, ''), COALESCE(s.store_id, ''), COALESCE(st.name, ''), COALESCE(m.id, ''), COALESCE(m.name, ''), COALESCE(m.provider_id, ''),
	s.created_at, s.paired_at, s.revoked_at,
	COALESCE(h.online, 0), h.since, h.last_seen, COALESCE(h.firmware, ''), COALESCE(h.battery_pct, -1), COALESCE(h.charging, 0), COALESCE(h.on_battery, 0),
	COALESCE(h.paper, ''), COALESCE(h.printer_model, ''), COALESCE(h.pending, 0), COALESCE(h.network, ''), COALESCE(h.signal_dbm, 0), h.status_at
FROM stands s
LEFT JOIN stores st ON st.id = s.store_id
LEFT JOIN merchants m ON m.id = st.merchant_id
LEFT JOIN stand_health h ON h.stand_id = s.id`

func scanFleet(row interface{ Scan(...any) error }) (FleetStand, error) {
	var f FleetStand
	var created string
	var paired, revoked, since, seen, statusAt sql.NullString
	var online, charging, onBattery int
	h := &f.Health
	if err := row.Scan(&f.ID, &f.ProviderID, &f.StoreID, &f.StoreName, &f.MerchantID, &f.MerchantName, &f.MerchantProviderID, &created, &paired, &revoked,
		&online, &since, &seen, &h.Firmware, &h.BatteryPct, &charging, &onBattery, &h.Paper, &h.PrinterModel, &h.Pending,
		&h.Network, &h.SignalDBm, &statusAt); err != nil {
		return f, notFound(err)
	}
	f.CreatedAt, f.PairedAt, f.RevokedAt = parseTS(created), parseNTS(paired), parseNTS(revoked)
	h.Online, h.Charging, h.OnBattery = online == 1, charging == 1, onBattery == 1
	h.Since, h.LastSeen, h.StatusAt = parseNTS(since), parseNTS(seen), parseNTS(statusAt)
	return f, nil
}

// ListFleet lists stands with their binding and health, newest first.
func (s *Storage) ListFleet(ctx context.Context, f FleetFilter) ([]FleetStand, error) {
	var where []string
	var args []any
	if f.ProviderID != "" {
		where = append(where, `(s.provider_id = ? OR m.provider_id = ?)`)
		args = append(args, f.ProviderID, f.ProviderID)
	}
	if f.MerchantID != "" {
		where = append(where, `m.id = ?`)
		args = append(args, f.MerchantID)
	}
	if f.StoreID != "" {
		where = append(where, `s.store_id = ?`)
		args = append(args, f.StoreID)
	}
	switch f.Presence {
	case "online":
		where = append(where, `h.online = 1`)
	case "offline":
		where = append(where, `COALESCE(h.online, 0) = 0`)
	}
	q := fleetSelect
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	if f.Limit <= 0 {
		f.Limit = 500
	}
	q += fmt.Sprintf(" ORDER BY s.created_at DESC, s.id LIMIT %d", f.Limit)
	rows, err := s.db.QueryContext(ctx, s.q(q), args...)
	if err != nil {
		return nil, fmt.Errorf("storage: fleet: %w", err)
	}
	defer rows.Close()
	var out []FleetStand
	for rows.Next() {
		fs, err := scanFleet(rows)
		if err != nil {
			return nil, fmt.Errorf("storage: fleet: %w", err)
		}
		out = append(out, fs)
	}
	return out, rows.Err()
}

// FleetStand returns one stand of the fleet list.
func (s *Storage) FleetStand(ctx context.Context, id string) (FleetStand, error) {
	f, err := scanFleet(s.db.QueryRowContext(ctx, s.q(fleetSelect+` WHERE s.id = ?`), id))
	if err != nil {
		return f, fmt.Errorf("storage: fleet stand: %w", err)
	}
	return f, nil
}

// NewStandID returns "qrs-" and 10 random base32 characters (50 bits):
// short enough to read off a label, valid as an MQTT device id. The
// command line and the console register stands with it.
func NewStandID() string {
	var b [7]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("storage: crypto/rand: " + err.Error())
	}
	s := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
	return "qrs-" + s[:10]
}

// RegisterProviderStand registers a stand owned by providerID (the
// console's "register a stand"); see RegisterStand.
func (s *Storage) RegisterProviderStand(ctx context.Context, providerID, id, secret string, now time.Time) error {
	if _, err := s.RegisterStand(ctx, id, secret, now); err != nil {
		return err
	}
	if providerID == "" {
		return nil
	}
	if _, err := s.db.ExecContext(ctx, s.q(`UPDATE stands SET provider_id = ? WHERE id = ?`), providerID, id); err != nil {
		return fmt.Errorf("storage: register stand: %w", err)
	}
	return nil
}

// RekeyStand replaces a stand's secret; the old one stops working for the
// next CONNECT at once (the broker looks the hash up on every connect). A
// revoked stand is re-enabled by a new secret.
func (s *Storage) RekeyStand(ctx context.Context, id, secret string) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE stands SET secret_hash = ?, revoked_at = NULL WHERE id = ?`), mqtt.HashSecret(secret), id)
	if err != nil {
		return fmt.Errorf("storage: rekey stand: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("storage: rekey stand: %w", ErrNotFound)
	}
	return nil
}

// RevokeStand stops a stand from connecting: its secret hash is cleared
// (no secret matches an empty hash) and the revocation time recorded.
func (s *Storage) RevokeStand(ctx context.Context, id string, now time.Time) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE stands SET secret_hash = '', revoked_at = ?, pair_code_hash = '' WHERE id = ?`), ts(now), id)
	if err != nil {
		return fmt.Errorf("storage: revoke stand: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("storage: revoke stand: %w", ErrNotFound)
	}
	return nil
}

// SetStandPresence records a presence change; Since moves only when the
// state changes, so a repeated "online" keeps the original time. It
// reports whether the state changed.
func (s *Storage) SetStandPresence(ctx context.Context, id string, online bool, at time.Time) (bool, error) {
	var changed bool
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var cur sql.NullInt64
		err := tx.QueryRowContext(ctx, s.q(`SELECT online FROM stand_health WHERE stand_id = ?`), id).Scan(&cur)
		switch {
		case err == sql.ErrNoRows:
			changed = true
			_, err = tx.ExecContext(ctx, s.q(`INSERT INTO stand_health (stand_id, online, since, last_seen) VALUES (?, ?, ?, ?)`), id, b2i(online), ts(at), ts(at))
			return err
		case err != nil:
			return err
		}
		changed = (cur.Int64 == 1) != online
		if changed {
			_, err = tx.ExecContext(ctx, s.q(`UPDATE stand_health SET online = ?, since = ?, last_seen = ? WHERE stand_id = ?`), b2i(online), ts(at), ts(at), id)
		} else {
			_, err = tx.ExecContext(ctx, s.q(`UPDATE stand_health SET last_seen = ? WHERE stand_id = ?`), ts(at), id)
		}
		return err
	})
	if err != nil {
		return false, fmt.Errorf("storage: stand presence: %w", err)
	}
	return changed, nil
}

// SetStandStatus records a status report (which also proves the stand is
// online).
func (s *Storage) SetStandStatus(ctx context.Context, id string, st *mqtt.Status, at time.Time) error {
	if _, err := s.SetStandPresence(ctx, id, true, at); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE stand_health SET firmware = ?, battery_pct = ?, charging = ?, on_battery = ?, paper = ?,
		printer_model = ?, pending = ?, network = ?, signal_dbm = ?, status_at = ? WHERE stand_id = ?`),
		clip(st.Firmware, 40), st.BatteryPct, b2i(st.Charging), b2i(st.OnBattery), st.Paper, clip(st.PrinterModel, 40), st.Pending,
		clip(st.Network, 20), st.SignalDBm, ts(at), id)
	if err != nil {
		return fmt.Errorf("storage: stand status: %w", err)
	}
	return nil
}

// clip bounds a free-text field a stand sends.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
