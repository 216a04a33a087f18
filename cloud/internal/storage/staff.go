package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/model"
)

// StaffInput describes a role to hand out. Admins have no StoreID.
type StaffInput struct {
	MerchantID string
	StoreID    string
	Role       model.Role
	Name       string
	CanRefund  bool
	ClerkCode  bool // give the clerk a personal clerk code
}

// AddStaff adds a not-yet-activated staff member and its activation code.
func (s *Storage) AddStaff(ctx context.Context, in StaffInput, codeTTL time.Duration, now time.Time) (model.Staff, model.ActivationCode, error) {
	var st model.Staff
	var code model.ActivationCode
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		st, code, err = s.addStaff(ctx, tx, in, codeTTL, now)
		return err
	})
	if err != nil {
		return st, code, fmt.Errorf("storage: add staff: %w", err)
	}
	return st, code, nil
}

func (s *Storage) addStaff(ctx context.Context, tx *sql.Tx, in StaffInput, codeTTL time.Duration, now time.Time) (model.Staff, model.ActivationCode, error) {
	if !in.Role.Valid() {
		return model.Staff{}, model.ActivationCode{}, fmt.Errorf("unknown role %q", in.Role)
	}
	if in.CanRefund && !canHoldRefund(in.Role) {
		return model.Staff{}, model.ActivationCode{}, ErrRefundRole
	}
	if (in.Role == model.RoleAdmin) != (in.StoreID == "") {
		return model.Staff{}, model.ActivationCode{}, fmt.Errorf("role %s with store %q", in.Role, in.StoreID)
	}
	if in.StoreID != "" {
		var mid string
		if err := tx.QueryRowContext(ctx, s.q(`SELECT merchant_id FROM stores WHERE id = ?`), in.StoreID).Scan(&mid); err != nil {
			return model.Staff{}, model.ActivationCode{}, notFound(err)
		}
		if mid != in.MerchantID {
			return model.Staff{}, model.ActivationCode{}, fmt.Errorf("store %s is not in merchant %s: %w", in.StoreID, in.MerchantID, ErrNotFound)
		}
	}
	st := model.Staff{ID: NewID(), MerchantID: in.MerchantID, StoreID: in.StoreID, Role: in.Role, Name: in.Name,
		CanRefund: in.CanRefund, CreatedAt: now.UTC()}
	if in.Role == model.RoleClerk && in.ClerkCode {
		st.ClerkCodeToken = NewToken()
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO staff (id, merchant_id, store_id, role, name, can_refund, notify, clerk_code_token, created_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)`),
		st.ID, st.MerchantID, nstr(st.StoreID), string(st.Role), st.Name, b2i(st.CanRefund), nstr(st.ClerkCodeToken), ts(now)); err != nil {
		return model.Staff{}, model.ActivationCode{}, err
	}
	code, err := s.newCode(ctx, tx, st, codeTTL, now)
	return st, code, err
}

const staffCols = `id, merchant_id, store_id, role, name, openid, can_refund, notify, clerk_code_token, created_at, activated_at, app_id`

func scanStaff(row interface{ Scan(...any) error }) (model.Staff, error) {
	var st model.Staff
	var store, openid, clerk, activated sql.NullString
	var role, created string
	var refund, notify int
	if err := row.Scan(&st.ID, &st.MerchantID, &store, &role, &st.Name, &openid, &refund, &notify, &clerk, &created, &activated, &st.AppID); err != nil {
		return st, notFound(err)
	}
	st.StoreID, st.OpenID, st.ClerkCodeToken = store.String, openid.String, clerk.String
	st.Role = model.Role(role)
	st.CanRefund, st.Notify = refund != 0, notify != 0
	st.CreatedAt, st.ActivatedAt = parseTS(created), parseNTS(activated)
	return st, nil
}

func (s *Storage) staffList(ctx context.Context, q querier, query string, args ...any) ([]model.Staff, error) {
	rows, err := q.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []model.Staff
	for rows.Next() {
		st, err := scanStaff(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, rows.Err()
}

// Staff returns one (not removed) staff member.
func (s *Storage) Staff(ctx context.Context, id string) (model.Staff, error) {
	st, err := scanStaff(s.db.QueryRowContext(ctx, s.q(`SELECT `+staffCols+` FROM staff WHERE id = ? AND removed_at IS NULL`), id))
	if err != nil {
		return st, fmt.Errorf("storage: staff: %w", err)
	}
	return st, nil
}

// StaffByOpenID lists the active roles a WeChat user holds under the
// deployment's official account.
func (s *Storage) StaffByOpenID(ctx context.Context, openid string) ([]model.Staff, error) {
	return s.StaffByWeChat(ctx, "", openid)
}

// StaffByWeChat lists the active roles of the WeChat user openid of the
// official account appID ("" for the deployment's): the same person has
// another openid under another AppID, and an openid of one AppID grants
// nothing under another.
func (s *Storage) StaffByWeChat(ctx context.Context, appID, openid string) ([]model.Staff, error) {
	out, err := s.staffList(ctx, s.db, `SELECT `+staffCols+` FROM staff WHERE app_id = ? AND openid = ? AND removed_at IS NULL ORDER BY created_at, id`, appID, openid)
	if err != nil {
		return nil, fmt.Errorf("storage: staff by openid: %w", err)
	}
	return out, nil
}

// StaffByMerchant lists a merchant's admins (storeID "") or a store's
// managers and clerks.
func (s *Storage) StaffByScope(ctx context.Context, merchantID, storeID string) ([]model.Staff, error) {
	var out []model.Staff
	var err error
	if storeID == "" {
		out, err = s.staffList(ctx, s.db, `SELECT `+staffCols+` FROM staff WHERE merchant_id = ? AND store_id IS NULL AND removed_at IS NULL ORDER BY created_at, id`, merchantID)
	} else {
		out, err = s.staffList(ctx, s.db, `SELECT `+staffCols+` FROM staff WHERE merchant_id = ? AND store_id = ? AND removed_at IS NULL ORDER BY created_at, id`, merchantID, storeID)
	}
	if err != nil {
		return nil, fmt.Errorf("storage: staff by scope: %w", err)
	}
	return out, nil
}

// StaffByClerkCode resolves a clerk code.
func (s *Storage) StaffByClerkCode(ctx context.Context, token string) (model.Staff, error) {
	st, err := scanStaff(s.db.QueryRowContext(ctx, s.q(`SELECT `+staffCols+` FROM staff WHERE clerk_code_token = ? AND removed_at IS NULL`), token))
	if err != nil {
		return st, fmt.Errorf("storage: staff by clerk code: %w", err)
	}
	return st, nil
}

// refundAdminsLeft counts the merchant's other refund-capable admins.
func (s *Storage) refundAdminsLeft(ctx context.Context, tx *sql.Tx, merchantID, exceptID string) (int, error) {
	var n int
	err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM staff WHERE merchant_id = ? AND role = ? AND can_refund = 1 AND removed_at IS NULL AND id <> ?`),
		merchantID, string(model.RoleAdmin), exceptID).Scan(&n)
	return n, err
}

// RemoveStaff removes a staff member; the merchant's last refund-capable
// admin cannot be removed (ErrLastRefundAdmin).
func (s *Storage) RemoveStaff(ctx context.Context, id string, now time.Time) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		st, err := scanStaff(tx.QueryRowContext(ctx, s.q(`SELECT `+staffCols+` FROM staff WHERE id = ? AND removed_at IS NULL`), id))
		if err != nil {
			return err
		}
		if st.Role == model.RoleAdmin && st.CanRefund {
			n, err := s.refundAdminsLeft(ctx, tx, st.MerchantID, st.ID)
			if err != nil {
				return err
			}
			if n == 0 {
				return ErrLastRefundAdmin
			}
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE staff SET removed_at = ? WHERE id = ?`), ts(now), id); err != nil {
			return err
		}
		// A removed clerk is no longer on duty.
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE shifts SET ends_at = ?, ended_by = ? WHERE staff_id = ? AND ends_at IS NULL`), ts(now), model.EndedByRemoved, id); err != nil {
			return err
		}
		// An unused activation code must not resurrect a removed role.
		_, err = tx.ExecContext(ctx, s.q(`UPDATE activation_codes SET expires_at = ? WHERE staff_id = ? AND used_at IS NULL`), ts(now), id)
		return err
	})
	if err != nil {
		return fmt.Errorf("storage: remove staff: %w", err)
	}
	return nil
}

// SetRefund grants or revokes refund permission; revoking it from the last
// refund-capable admin fails with ErrLastRefundAdmin, granting it to a
// clerk with ErrRefundRole (only managers and admins may refund, whatever
// a page or tool asks).
func (s *Storage) SetRefund(ctx context.Context, id string, can bool) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		st, err := scanStaff(tx.QueryRowContext(ctx, s.q(`SELECT `+staffCols+` FROM staff WHERE id = ? AND removed_at IS NULL`), id))
		if err != nil {
			return err
		}
		if can && !canHoldRefund(st.Role) {
			return ErrRefundRole
		}
		if !can && st.Role == model.RoleAdmin && st.CanRefund {
			n, err := s.refundAdminsLeft(ctx, tx, st.MerchantID, st.ID)
			if err != nil {
				return err
			}
			if n == 0 {
				return ErrLastRefundAdmin
			}
		}
		_, err = tx.ExecContext(ctx, s.q(`UPDATE staff SET can_refund = ? WHERE id = ?`), b2i(can), id)
		return err
	})
	if err != nil {
		return fmt.Errorf("storage: set refund: %w", err)
	}
	return nil
}

// SetNotify switches a staff member's payment messages on or off.
func (s *Storage) SetNotify(ctx context.Context, id string, on bool) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE staff SET notify = ? WHERE id = ? AND removed_at IS NULL`), b2i(on), id)
	if err != nil {
		return fmt.Errorf("storage: set notify: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("storage: set notify: %w", ErrNotFound)
	}
	return nil
}

// NotifyRecipients returns the people to message about a payment to a
// store (staff who opted in, active roles only, one message per WeChat
// user):
//   - store code (clerkID ""): the clerks on duty, or every clerk when the
//     store notifies off-shift clerks;
//   - clerk code: that clerk when on duty (or the store notifies off-shift
//     clerks); otherwise the clerks on duty, so a payment to an off-duty
//     clerk's code still reaches the counter; if nobody is on duty, the
//     clerk themself;
//   - always: the store's managers and the merchant's admins who opted in.
func (s *Storage) NotifyRecipients(ctx context.Context, storeID, clerkID string) ([]model.Staff, error) {
	st, err := s.Store(ctx, storeID)
	if err != nil {
		return nil, err
	}
	duty, err := s.OnDuty(ctx, storeID)
	if err != nil {
		return nil, err
	}
	return s.NotifyRecipientsAt(ctx, st, duty, clerkID)
}

// NotifyRecipientsAt is NotifyRecipients for a caller that has read the
// store and its on-duty shifts already (the paid path reads both anyway).
func (s *Storage) NotifyRecipientsAt(ctx context.Context, st model.Store, duty []model.Shift, clerkID string) ([]model.Staff, error) {
	storeID := st.ID
	clerks, err := s.staffList(ctx, s.db, `SELECT `+staffCols+` FROM staff WHERE store_id = ? AND role = ? AND notify = 1 AND openid IS NOT NULL AND removed_at IS NULL ORDER BY created_at, id`,
		storeID, string(model.RoleClerk))
	if err != nil {
		return nil, fmt.Errorf("storage: notify recipients: %w", err)
	}
	bosses, err := s.staffList(ctx, s.db, `SELECT `+staffCols+` FROM staff WHERE merchant_id = ? AND ((store_id = ? AND role = ?) OR (store_id IS NULL AND role = ?))
		AND notify = 1 AND openid IS NOT NULL AND removed_at IS NULL ORDER BY role DESC, created_at, id`,
		st.MerchantID, storeID, string(model.RoleManager), string(model.RoleAdmin))
	if err != nil {
		return nil, fmt.Errorf("storage: notify recipients: %w", err)
	}
	onDuty := map[string]bool{}
	for _, sh := range duty {
		onDuty[sh.StaffID] = true
	}
	var out []model.Staff
	seen := map[string]bool{}
	add := func(x model.Staff) {
		if !seen[x.OpenID] {
			seen[x.OpenID] = true
			out = append(out, x)
		}
	}
	var own *model.Staff
	for i, c := range clerks {
		if c.ID == clerkID {
			own = &clerks[i]
		}
	}
	switch {
	case clerkID != "" && own != nil && (onDuty[own.ID] || st.NotifyOffShift):
		add(*own)
	default:
		for _, c := range clerks {
			if onDuty[c.ID] || (clerkID == "" && st.NotifyOffShift) {
				add(c)
			}
		}
		if len(out) == 0 && own != nil {
			add(*own)
		}
	}
	for _, b := range bosses {
		add(b)
	}
	return out, nil
}

// canHoldRefund: refunds move money out of the merchant, so only managers
// and admins may hold the permission (Tencent's 云支付 rule), never clerks.
func canHoldRefund(r model.Role) bool { return r == model.RoleAdmin || r == model.RoleManager }
