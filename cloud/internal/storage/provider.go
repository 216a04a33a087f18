package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/model"
)

// CreateProvider adds a service provider with its sealed secrets.
func (s *Storage) CreateProvider(ctx context.Context, name, spMchID, spAppID string, secrets model.ProviderSecrets, now time.Time) (model.Provider, error) {
	p := model.Provider{ID: NewID(), Name: name, SPMchID: spMchID, SPAppID: spAppID, CreatedAt: now.UTC()}
	sealed, err := s.seal(p.ID, secrets)
	if err != nil {
		return model.Provider{}, err
	}
	_, err = s.db.ExecContext(ctx, s.q(`INSERT INTO providers (id, name, sp_mchid, sp_appid, secrets_sealed, created_at) VALUES (?, ?, ?, ?, ?, ?)`),
		p.ID, p.Name, p.SPMchID, p.SPAppID, sealed, ts(now))
	if err != nil {
		return model.Provider{}, fmt.Errorf("storage: create provider: %w", err)
	}
	return p, nil
}

func (s *Storage) seal(providerID string, secrets model.ProviderSecrets) (string, error) {
	raw, err := json.Marshal(secrets)
	if err != nil {
		return "", fmt.Errorf("storage: seal secrets: %w", err)
	}
	return s.box.Seal(raw, []byte("provider:"+providerID)), nil
}

// Provider returns one provider.
func (s *Storage) Provider(ctx context.Context, id string) (model.Provider, error) {
	var p model.Provider
	var created string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT id, name, sp_mchid, sp_appid, created_at FROM providers WHERE id = ?`), id).
		Scan(&p.ID, &p.Name, &p.SPMchID, &p.SPAppID, &created)
	if err != nil {
		return model.Provider{}, fmt.Errorf("storage: provider: %w", notFound(err))
	}
	p.CreatedAt = parseTS(created)
	return p, nil
}

// Providers lists all providers by name.
func (s *Storage) Providers(ctx context.Context) ([]model.Provider, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, sp_mchid, sp_appid, created_at FROM providers ORDER BY name, id`)
	if err != nil {
		return nil, fmt.Errorf("storage: providers: %w", err)
	}
	defer rows.Close()
	var out []model.Provider
	for rows.Next() {
		var p model.Provider
		var created string
		if err := rows.Scan(&p.ID, &p.Name, &p.SPMchID, &p.SPAppID, &created); err != nil {
			return nil, fmt.Errorf("storage: providers: %w", err)
		}
		p.CreatedAt = parseTS(created)
		out = append(out, p)
	}
	return out, rows.Err()
}

// UpdateProvider changes a provider's ids and, when secrets is non-nil, its
// sealed secrets.
func (s *Storage) UpdateProvider(ctx context.Context, p model.Provider, secrets *model.ProviderSecrets) error {
	var res sql.Result
	var err error
	if secrets != nil {
		sealed, serr := s.seal(p.ID, *secrets)
		if serr != nil {
			return serr
		}
		res, err = s.db.ExecContext(ctx, s.q(`UPDATE providers SET name = ?, sp_mchid = ?, sp_appid = ?, secrets_sealed = ? WHERE id = ?`),
			p.Name, p.SPMchID, p.SPAppID, sealed, p.ID)
	} else {
		res, err = s.db.ExecContext(ctx, s.q(`UPDATE providers SET name = ?, sp_mchid = ?, sp_appid = ? WHERE id = ?`),
			p.Name, p.SPMchID, p.SPAppID, p.ID)
	}
	if err != nil {
		return fmt.Errorf("storage: update provider: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("storage: update provider: %w", ErrNotFound)
	}
	return nil
}

// ProviderSecrets opens a provider's sealed secrets.
func (s *Storage) ProviderSecrets(ctx context.Context, id string) (model.ProviderSecrets, error) {
	var sealed string
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT secrets_sealed FROM providers WHERE id = ?`), id).Scan(&sealed); err != nil {
		return model.ProviderSecrets{}, fmt.Errorf("storage: provider secrets: %w", notFound(err))
	}
	var out model.ProviderSecrets
	if sealed == "" {
		return out, nil
	}
	raw, err := s.box.Open(sealed, []byte("provider:"+id))
	if err != nil {
		return out, fmt.Errorf("storage: provider secrets: %w", err)
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return out, fmt.Errorf("storage: provider secrets: %w", err)
	}
	return out, nil
}
