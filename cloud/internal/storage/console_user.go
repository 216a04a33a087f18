package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/model"
)

// CreateConsoleUser adds a console login; passwordHash is already hashed.
func (s *Storage) CreateConsoleUser(ctx context.Context, username, passwordHash string, role model.ConsoleRole, providerID string, now time.Time) (model.ConsoleUser, error) {
	u := model.ConsoleUser{ID: NewID(), Username: username, PasswordHash: passwordHash, Role: role, ProviderID: providerID, CreatedAt: now.UTC()}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM console_users WHERE username = ?`), username).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return ErrConflict
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO console_users (id, username, password_hash, role, provider_id, created_at) VALUES (?, ?, ?, ?, ?, ?)`),
			u.ID, u.Username, u.PasswordHash, string(u.Role), nstr(providerID), ts(now))
		return err
	})
	if err != nil {
		return model.ConsoleUser{}, fmt.Errorf("storage: create console user: %w", err)
	}
	return u, nil
}

const consoleUserCols = `id, username, password_hash, role, provider_id, created_at`

func scanConsoleUser(row interface{ Scan(...any) error }) (model.ConsoleUser, error) {
	var u model.ConsoleUser
	var role, created string
	var pid sql.NullString
	if err := row.Scan(&u.ID, &u.Username, &u.PasswordHash, &role, &pid, &created); err != nil {
		return u, notFound(err)
	}
	u.Role = model.ConsoleRole(role)
	u.ProviderID = pid.String
	u.CreatedAt = parseTS(created)
	return u, nil
}

// ConsoleUserByUsername finds a console login by name.
func (s *Storage) ConsoleUserByUsername(ctx context.Context, username string) (model.ConsoleUser, error) {
	u, err := scanConsoleUser(s.db.QueryRowContext(ctx, s.q(`SELECT `+consoleUserCols+` FROM console_users WHERE username = ?`), username))
	if err != nil {
		return u, fmt.Errorf("storage: console user: %w", err)
	}
	return u, nil
}

// ConsoleUser finds a console login by id.
func (s *Storage) ConsoleUser(ctx context.Context, id string) (model.ConsoleUser, error) {
	u, err := scanConsoleUser(s.db.QueryRowContext(ctx, s.q(`SELECT `+consoleUserCols+` FROM console_users WHERE id = ?`), id))
	if err != nil {
		return u, fmt.Errorf("storage: console user: %w", err)
	}
	return u, nil
}

// ConsoleUsersByProvider lists a provider's logins.
func (s *Storage) ConsoleUsersByProvider(ctx context.Context, providerID string) ([]model.ConsoleUser, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+consoleUserCols+` FROM console_users WHERE provider_id = ? ORDER BY username`), providerID)
	if err != nil {
		return nil, fmt.Errorf("storage: console users: %w", err)
	}
	defer rows.Close()
	var out []model.ConsoleUser
	for rows.Next() {
		u, err := scanConsoleUser(rows)
		if err != nil {
			return nil, fmt.Errorf("storage: console users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}
