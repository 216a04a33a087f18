package storage

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"fmt"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/mqtt"
)

// RegisterStand records a stand and the hash of its secret (mqtt.HashSecret,
// the form the broker checks). Registering an
// existing id fails with ErrConflict.
func (s *Storage) RegisterStand(ctx context.Context, id, secret string, now time.Time) (model.Stand, error) {
	st := model.Stand{ID: id, SecretHash: mqtt.HashSecret(secret), CreatedAt: now.UTC()}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM stands WHERE id = ?`), id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return ErrConflict
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO stands (id, secret_hash, created_at) VALUES (?, ?, ?)`), id, st.SecretHash, ts(now))
		return err
	})
	if err != nil {
		return model.Stand{}, fmt.Errorf("storage: register stand: %w", err)
	}
	return st, nil
}

const standCols = `id, secret_hash, store_id, created_at, paired_at`

func scanStand(row interface{ Scan(...any) error }) (model.Stand, error) {
	var st model.Stand
	var store, paired sql.NullString
	var created string
	if err := row.Scan(&st.ID, &st.SecretHash, &store, &created, &paired); err != nil {
		return st, notFound(err)
	}
	st.StoreID, st.CreatedAt, st.PairedAt = store.String, parseTS(created), parseNTS(paired)
	return st, nil
}

// Stand returns one stand.
func (s *Storage) Stand(ctx context.Context, id string) (model.Stand, error) {
	st, err := scanStand(s.db.QueryRowContext(ctx, s.q(`SELECT `+standCols+` FROM stands WHERE id = ?`), id))
	if err != nil {
		return st, fmt.Errorf("storage: stand: %w", err)
	}
	return st, nil
}

// StandsByStore lists the stands paired with a store.
func (s *Storage) StandsByStore(ctx context.Context, storeID string) ([]model.Stand, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+standCols+` FROM stands WHERE store_id = ? ORDER BY paired_at, id`), storeID)
	if err != nil {
		return nil, fmt.Errorf("storage: stands: %w", err)
	}
	defer rows.Close()
	var out []model.Stand
	for rows.Next() {
		st, err := scanStand(rows)
		if err != nil {
			return nil, fmt.Errorf("storage: stands: %w", err)
		}
		out = append(out, st)
	}
	return out, rows.Err()
}

// VerifyStandSecret reports whether secret is the stand's secret.
func (s *Storage) VerifyStandSecret(ctx context.Context, id, secret string) (bool, error) {
	st, err := s.Stand(ctx, id)
	if err != nil {
		return false, err
	}
	return mqtt.CheckSecret(st.SecretHash, secret), nil
}

// SetPairCode records the one-time code a stand announced in pair.request.
func (s *Storage) SetPairCode(ctx context.Context, id, code string, expires time.Time) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE stands SET pair_code_hash = ?, pair_expires_at = ? WHERE id = ?`), HashSecret(code), ts(expires), id)
	if err != nil {
		return fmt.Errorf("storage: set pair code: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("storage: set pair code: %w", ErrNotFound)
	}
	return nil
}

// CheckPairCode reports ErrPairCode unless code is the stand's live code.
func (s *Storage) CheckPairCode(ctx context.Context, id, code string, now time.Time) (model.Stand, error) {
	var hash string
	var expires sql.NullString
	err := s.db.QueryRowContext(ctx, s.q(`SELECT pair_code_hash, pair_expires_at FROM stands WHERE id = ?`), id).Scan(&hash, &expires)
	if err != nil || hash == "" || subtle.ConstantTimeCompare([]byte(hash), []byte(HashSecret(code))) != 1 || !now.Before(parseNTS(expires)) {
		return model.Stand{}, ErrPairCode
	}
	return s.Stand(ctx, id)
}

// PairStand binds a stand to a store if code is its live pairing code; the
// code is consumed. A stand already bound elsewhere moves to the new store.
func (s *Storage) PairStand(ctx context.Context, id, code, storeID string, now time.Time) (model.Stand, error) {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var hash string
		var expires, owner sql.NullString
		err := tx.QueryRowContext(ctx, s.q(`SELECT pair_code_hash, pair_expires_at, provider_id FROM stands WHERE id = ?`), id).Scan(&hash, &expires, &owner)
		if err != nil || hash == "" || subtle.ConstantTimeCompare([]byte(hash), []byte(HashSecret(code))) != 1 || !now.Before(parseNTS(expires)) {
			return ErrPairCode
		}
		// A stand a provider registered pairs only into that provider's
		// stores; refused like a wrong code, so nothing about the stand's
		// owner shows. (Stands registered without a provider pair anywhere.)
		if owner.String != "" {
			var storeProvider string
			err := tx.QueryRowContext(ctx, s.q(`SELECT m.provider_id FROM stores st JOIN merchants m ON m.id = st.merchant_id WHERE st.id = ?`), storeID).Scan(&storeProvider)
			if err != nil || storeProvider != owner.String {
				return ErrPairCode
			}
		}
		res, err := tx.ExecContext(ctx, s.q(`UPDATE stands SET store_id = ?, paired_at = ?, pair_code_hash = '', pair_expires_at = NULL WHERE id = ? AND pair_code_hash = ?`),
			storeID, ts(now), id, hash)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrPairCode
		}
		return nil
	})
	if err != nil {
		return model.Stand{}, fmt.Errorf("storage: pair stand: %w", err)
	}
	return s.Stand(ctx, id)
}

// UnpairStand detaches a stand from its store.
func (s *Storage) UnpairStand(ctx context.Context, id string) error {
	if _, err := s.db.ExecContext(ctx, s.q(`UPDATE stands SET store_id = NULL, paired_at = NULL WHERE id = ?`), id); err != nil {
		return fmt.Errorf("storage: unpair stand: %w", err)
	}
	return nil
}

// StandSecretHash is the broker's authentication lookup (broker.StandLookup).
func (s *Storage) StandSecretHash(ctx context.Context, id string) (string, error) {
	st, err := s.Stand(ctx, id)
	if err != nil {
		return "", err
	}
	return st.SecretHash, nil
}
