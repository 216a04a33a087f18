package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/model"
)

// CreatePlates makes n blank plates (空码) for a provider to print.
func (s *Storage) CreatePlates(ctx context.Context, providerID string, n int, now time.Time) ([]model.Plate, error) {
	var out []model.Plate
	err := s.tx(ctx, func(tx *sql.Tx) error {
		for i := 0; i < n; i++ {
			p := model.Plate{Token: NewToken(), ProviderID: providerID, CreatedAt: now.UTC()}
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO plates (token, provider_id, created_at) VALUES (?, ?, ?)`), p.Token, providerID, ts(now)); err != nil {
				return err
			}
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("storage: create plates: %w", err)
	}
	return out, nil
}

const plateCols = `token, provider_id, store_id, created_at, bound_at`

func scanPlate(row interface{ Scan(...any) error }) (model.Plate, error) {
	var p model.Plate
	var store, bound sql.NullString
	var created string
	if err := row.Scan(&p.Token, &p.ProviderID, &store, &created, &bound); err != nil {
		return p, notFound(err)
	}
	p.StoreID, p.CreatedAt, p.BoundAt = store.String, parseTS(created), parseNTS(bound)
	return p, nil
}

// Plate resolves a plate code.
func (s *Storage) Plate(ctx context.Context, token string) (model.Plate, error) {
	p, err := scanPlate(s.db.QueryRowContext(ctx, s.q(`SELECT `+plateCols+` FROM plates WHERE token = ?`), token))
	if err != nil {
		return p, fmt.Errorf("storage: plate: %w", err)
	}
	return p, nil
}

// PlatesByProvider lists a provider's plates, newest first.
func (s *Storage) PlatesByProvider(ctx context.Context, providerID string) ([]model.Plate, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+plateCols+` FROM plates WHERE provider_id = ? ORDER BY created_at DESC, token`), providerID)
	if err != nil {
		return nil, fmt.Errorf("storage: plates: %w", err)
	}
	defer rows.Close()
	var out []model.Plate
	for rows.Next() {
		p, err := scanPlate(rows)
		if err != nil {
			return nil, fmt.Errorf("storage: plates: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// BindPlate binds an unbound plate to a store of the plate's provider.
// Only the first binding wins (ErrPlateBound afterwards).
func (s *Storage) BindPlate(ctx context.Context, token, storeID string, now time.Time) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		p, err := scanPlate(tx.QueryRowContext(ctx, s.q(`SELECT `+plateCols+` FROM plates WHERE token = ?`), token))
		if err != nil {
			return err
		}
		var providerID string
		if err := tx.QueryRowContext(ctx, s.q(`SELECT m.provider_id FROM stores s JOIN merchants m ON m.id = s.merchant_id WHERE s.id = ?`), storeID).Scan(&providerID); err != nil {
			return notFound(err)
		}
		if providerID != p.ProviderID {
			return ErrNotFound
		}
		res, err := tx.ExecContext(ctx, s.q(`UPDATE plates SET store_id = ?, bound_at = ? WHERE token = ? AND store_id IS NULL`), storeID, ts(now), token)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrPlateBound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("storage: bind plate: %w", err)
	}
	return nil
}
