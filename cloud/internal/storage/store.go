package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/model"
)

// StoreInput is what an admin enters to add a store.
type StoreInput struct {
	Name        string
	ManagerName string // optional: a first manager with an activation code
}

// CreateStore adds a store with its store code and, if a manager name is
// given, the manager and the manager's activation code.
func (s *Storage) CreateStore(ctx context.Context, merchantID string, in StoreInput, codeTTL time.Duration, now time.Time) (model.Store, *model.Staff, *model.ActivationCode, error) {
	st := model.Store{ID: NewID(), MerchantID: merchantID, Name: in.Name, CodeToken: NewToken(), Announce: true, PrintReceipts: true, CreatedAt: now.UTC()}
	var mgr *model.Staff
	var code *model.ActivationCode
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO stores (id, merchant_id, name, code_token, notify_off_shift, announce, print_receipts, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
			st.ID, st.MerchantID, st.Name, st.CodeToken, 0, 1, 1, ts(now)); err != nil {
			return err
		}
		if in.ManagerName == "" {
			return nil
		}
		m, c, err := s.addStaff(ctx, tx, StaffInput{MerchantID: merchantID, StoreID: st.ID, Role: model.RoleManager, Name: in.ManagerName}, codeTTL, now)
		mgr, code = &m, &c
		return err
	})
	if err != nil {
		return model.Store{}, nil, nil, fmt.Errorf("storage: create store: %w", err)
	}
	return st, mgr, code, nil
}

const storeCols = `id, merchant_id, name, code_token, notify_off_shift, announce, print_receipts, created_at`

func scanStore(row interface{ Scan(...any) error }) (model.Store, error) {
	var st model.Store
	var created string
	var off, ann, prn int
	if err := row.Scan(&st.ID, &st.MerchantID, &st.Name, &st.CodeToken, &off, &ann, &prn, &created); err != nil {
		return st, notFound(err)
	}
	st.NotifyOffShift, st.Announce, st.PrintReceipts = off != 0, ann != 0, prn != 0
	st.CreatedAt = parseTS(created)
	return st, nil
}

// Store returns one store.
func (s *Storage) Store(ctx context.Context, id string) (model.Store, error) {
	st, err := scanStore(s.db.QueryRowContext(ctx, s.q(`SELECT `+storeCols+` FROM stores WHERE id = ?`), id))
	if err != nil {
		return st, fmt.Errorf("storage: store: %w", err)
	}
	return st, nil
}

// StoreByCodeToken resolves a store code.
func (s *Storage) StoreByCodeToken(ctx context.Context, token string) (model.Store, error) {
	st, err := scanStore(s.db.QueryRowContext(ctx, s.q(`SELECT `+storeCols+` FROM stores WHERE code_token = ?`), token))
	if err != nil {
		return st, fmt.Errorf("storage: store by code: %w", err)
	}
	return st, nil
}

// StoresByMerchant lists a merchant's stores.
func (s *Storage) StoresByMerchant(ctx context.Context, merchantID string) ([]model.Store, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+storeCols+` FROM stores WHERE merchant_id = ? ORDER BY created_at, id`), merchantID)
	if err != nil {
		return nil, fmt.Errorf("storage: stores: %w", err)
	}
	defer rows.Close()
	var out []model.Store
	for rows.Next() {
		st, err := scanStore(rows)
		if err != nil {
			return nil, fmt.Errorf("storage: stores: %w", err)
		}
		out = append(out, st)
	}
	return out, rows.Err()
}

// UpdateStoreSettings saves a store's name and switches.
func (s *Storage) UpdateStoreSettings(ctx context.Context, st model.Store) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE stores SET name = ?, notify_off_shift = ?, announce = ?, print_receipts = ? WHERE id = ?`),
		st.Name, b2i(st.NotifyOffShift), b2i(st.Announce), b2i(st.PrintReceipts), st.ID)
	if err != nil {
		return fmt.Errorf("storage: update store: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("storage: update store: %w", ErrNotFound)
	}
	return nil
}
