package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/model"
)

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// newCode issues a fresh activation code for a staff member and expires any
// earlier unused one, so only the latest printed code works.
func (s *Storage) newCode(ctx context.Context, tx *sql.Tx, st model.Staff, ttl time.Duration, now time.Time) (model.ActivationCode, error) {
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE activation_codes SET expires_at = ? WHERE staff_id = ? AND used_at IS NULL AND expires_at > ?`), ts(now), st.ID, ts(now)); err != nil {
		return model.ActivationCode{}, err
	}
	c := model.ActivationCode{Token: NewToken(), StaffID: st.ID, Role: st.Role, ScopeID: st.ScopeID(), CreatedAt: now.UTC(), ExpiresAt: now.Add(ttl).UTC()}
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO activation_codes (token, staff_id, role, scope_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`),
		c.Token, c.StaffID, string(c.Role), c.ScopeID, ts(now), ts(c.ExpiresAt))
	return c, err
}

// NewActivationCode issues a new code for a staff member who has not yet
// activated (for reprinting a lost or expired code).
func (s *Storage) NewActivationCode(ctx context.Context, staffID string, ttl time.Duration, now time.Time) (model.ActivationCode, error) {
	var c model.ActivationCode
	err := s.tx(ctx, func(tx *sql.Tx) error {
		st, err := scanStaff(tx.QueryRowContext(ctx, s.q(`SELECT `+staffCols+` FROM staff WHERE id = ? AND removed_at IS NULL`), staffID))
		if err != nil {
			return err
		}
		if st.Active() {
			return ErrCodeUsed
		}
		c, err = s.newCode(ctx, tx, st, ttl, now)
		return err
	})
	if err != nil {
		return c, fmt.Errorf("storage: new activation code: %w", err)
	}
	return c, nil
}

// PendingActivationCode returns the staff member's newest code that is
// neither used nor expired.
func (s *Storage) PendingActivationCode(ctx context.Context, staffID string, now time.Time) (model.ActivationCode, error) {
	c, err := scanCode(s.db.QueryRowContext(ctx, s.q(`SELECT `+codeCols+` FROM activation_codes WHERE staff_id = ? AND used_at IS NULL AND expires_at > ? ORDER BY created_at DESC`), staffID, ts(now)))
	if err != nil {
		return c, fmt.Errorf("storage: pending activation code: %w", err)
	}
	return c, nil
}

const codeCols = `token, staff_id, role, scope_id, created_at, expires_at, used_at, used_by`

func scanCode(row interface{ Scan(...any) error }) (model.ActivationCode, error) {
	var c model.ActivationCode
	var role, created, expires string
	var used, by sql.NullString
	if err := row.Scan(&c.Token, &c.StaffID, &role, &c.ScopeID, &created, &expires, &used, &by); err != nil {
		return c, notFound(err)
	}
	c.Role = model.Role(role)
	c.CreatedAt, c.ExpiresAt, c.UsedAt, c.UsedBy = parseTS(created), parseTS(expires), parseNTS(used), by.String
	return c, nil
}

// ActivationCode looks a code up without using it.
func (s *Storage) ActivationCode(ctx context.Context, token string) (model.ActivationCode, error) {
	c, err := scanCode(s.db.QueryRowContext(ctx, s.q(`SELECT `+codeCols+` FROM activation_codes WHERE token = ?`), token))
	if err != nil {
		if isNotFound(err) {
			return c, ErrCodeUnknown
		}
		return c, fmt.Errorf("storage: activation code: %w", err)
	}
	return c, nil
}

// CheckActivation validates a code presented as granting role in scopeID,
// without using it. It returns the code's staff member.
func (s *Storage) CheckActivation(ctx context.Context, token string, role model.Role, scopeID string, now time.Time) (model.Staff, error) {
	c, err := s.ActivationCode(ctx, token)
	if err != nil {
		return model.Staff{}, err
	}
	if err := checkCode(c, role, scopeID, now); err != nil {
		return model.Staff{}, err
	}
	st, err := s.Staff(ctx, c.StaffID)
	if err != nil {
		return model.Staff{}, ErrCodeUnknown
	}
	return st, nil
}

func checkCode(c model.ActivationCode, role model.Role, scopeID string, now time.Time) error {
	switch {
	case !c.UsedAt.IsZero():
		return ErrCodeUsed
	case c.Role != role:
		return ErrCodeWrongRole
	case c.ScopeID != scopeID:
		return ErrCodeWrongScope
	case !now.Before(c.ExpiresAt):
		return ErrCodeExpired
	}
	return nil
}

// Activate uses a code: openid becomes the staff member the code was issued
// for. The code must be presented for its own role and scope, unused and
// unexpired; notify is the clerk's choice of payment messages. Any failure
// changes nothing.
func (s *Storage) Activate(ctx context.Context, token string, role model.Role, scopeID, openid string, notify bool, now time.Time) (model.Staff, error) {
	return s.ActivateUnder(ctx, token, role, scopeID, "", openid, notify, now)
}

// ActivateUnder is Activate for the openid of official account appID ("" is
// the deployment's): the role is held by that (appID, openid) pair.
func (s *Storage) ActivateUnder(ctx context.Context, token string, role model.Role, scopeID, appID, openid string, notify bool, now time.Time) (model.Staff, error) {
	var st model.Staff
	err := s.tx(ctx, func(tx *sql.Tx) error {
		c, err := scanCode(tx.QueryRowContext(ctx, s.q(`SELECT `+codeCols+` FROM activation_codes WHERE token = ?`), token))
		if err != nil {
			if isNotFound(err) {
				return ErrCodeUnknown
			}
			return err
		}
		if err := checkCode(c, role, scopeID, now); err != nil {
			return err
		}
		st, err = scanStaff(tx.QueryRowContext(ctx, s.q(`SELECT `+staffCols+` FROM staff WHERE id = ? AND removed_at IS NULL`), c.StaffID))
		if err != nil {
			if isNotFound(err) {
				return ErrCodeUnknown
			}
			return err
		}
		if st.Active() {
			return ErrCodeUsed
		}
		var held int
		if st.StoreID == "" {
			err = tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM staff WHERE app_id = ? AND openid = ? AND role = ? AND merchant_id = ? AND store_id IS NULL AND removed_at IS NULL`),
				appID, openid, string(st.Role), st.MerchantID).Scan(&held)
		} else {
			err = tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM staff WHERE app_id = ? AND openid = ? AND role = ? AND store_id = ? AND removed_at IS NULL`),
				appID, openid, string(st.Role), st.StoreID).Scan(&held)
		}
		if err != nil {
			return err
		}
		if held > 0 {
			return ErrRoleHeld
		}
		// The guard makes the code single-use even when two scans race.
		res, err := tx.ExecContext(ctx, s.q(`UPDATE activation_codes SET used_at = ?, used_by = ? WHERE token = ? AND used_at IS NULL`), ts(now), openid, token)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrCodeUsed
		}
		notifyOn := notify // every role may choose payment messages
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE staff SET openid = ?, app_id = ?, activated_at = ?, notify = ? WHERE id = ? AND openid IS NULL`),
			openid, appID, ts(now), b2i(notifyOn), st.ID); err != nil {
			return err
		}
		st.OpenID, st.AppID, st.ActivatedAt, st.Notify = openid, appID, now.UTC(), notifyOn
		return nil
	})
	if err != nil {
		return model.Staff{}, fmt.Errorf("storage: activate: %w", err)
	}
	return st, nil
}
