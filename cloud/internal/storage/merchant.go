package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/model"
)

// MerchantInput is what a provider enters to add a merchant.
type MerchantInput struct {
	Name      string
	SubMchID  string
	AdminName string // the first admin; gets refund permission
}

// CreateMerchant adds a merchant, its management code and its first admin
// (with refund permission) and that admin's activation code, in one
// transaction.
func (s *Storage) CreateMerchant(ctx context.Context, providerID string, in MerchantInput, codeTTL time.Duration, now time.Time) (model.Merchant, model.Staff, model.ActivationCode, error) {
	m := model.Merchant{ID: NewID(), ProviderID: providerID, Name: in.Name, SubMchID: in.SubMchID, ManageToken: NewToken(), CreatedAt: now.UTC()}
	var admin model.Staff
	var code model.ActivationCode
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM merchants WHERE provider_id = ? AND sub_mchid = ?`), providerID, in.SubMchID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return ErrConflict
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO merchants (id, provider_id, name, sub_mchid, manage_token, created_at) VALUES (?, ?, ?, ?, ?, ?)`),
			m.ID, m.ProviderID, m.Name, m.SubMchID, m.ManageToken, ts(now)); err != nil {
			return err
		}
		var err error
		admin, code, err = s.addStaff(ctx, tx, StaffInput{MerchantID: m.ID, Role: model.RoleAdmin, Name: in.AdminName, CanRefund: true}, codeTTL, now)
		return err
	})
	if err != nil {
		return model.Merchant{}, model.Staff{}, model.ActivationCode{}, fmt.Errorf("storage: create merchant: %w", err)
	}
	return m, admin, code, nil
}

const merchantCols = `id, provider_id, name, sub_mchid, manage_token, created_at`

func scanMerchant(row interface{ Scan(...any) error }) (model.Merchant, error) {
	var m model.Merchant
	var created string
	if err := row.Scan(&m.ID, &m.ProviderID, &m.Name, &m.SubMchID, &m.ManageToken, &created); err != nil {
		return m, notFound(err)
	}
	m.CreatedAt = parseTS(created)
	return m, nil
}

// Merchant returns one merchant.
func (s *Storage) Merchant(ctx context.Context, id string) (model.Merchant, error) {
	m, err := scanMerchant(s.db.QueryRowContext(ctx, s.q(`SELECT `+merchantCols+` FROM merchants WHERE id = ?`), id))
	if err != nil {
		return m, fmt.Errorf("storage: merchant: %w", err)
	}
	return m, nil
}

// MerchantByManageToken resolves a merchant management code.
func (s *Storage) MerchantByManageToken(ctx context.Context, token string) (model.Merchant, error) {
	m, err := scanMerchant(s.db.QueryRowContext(ctx, s.q(`SELECT `+merchantCols+` FROM merchants WHERE manage_token = ?`), token))
	if err != nil {
		return m, fmt.Errorf("storage: merchant by code: %w", err)
	}
	return m, nil
}

// MerchantsByProvider lists a provider's merchants.
func (s *Storage) MerchantsByProvider(ctx context.Context, providerID string) ([]model.Merchant, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+merchantCols+` FROM merchants WHERE provider_id = ? ORDER BY created_at, id`), providerID)
	if err != nil {
		return nil, fmt.Errorf("storage: merchants: %w", err)
	}
	defer rows.Close()
	var out []model.Merchant
	for rows.Next() {
		m, err := scanMerchant(rows)
		if err != nil {
			return nil, fmt.Errorf("storage: merchants: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
