// Package authz decides what a principal may do to a tenant's resources
// (DESIGN.md §9). WeChat users act through the staff roles their openid
// holds; console users through their console role and provider. Handlers
// load the target, ask here, and answer "not found" on any denial so that a
// denial never reveals whether the target exists.
package authz

import "github.com/qrstand/qrstand/cloud/internal/model"

// Roles are the active staff roles one openid holds.
type Roles []model.Staff

// AdminOf returns the caller's admin role in a merchant.
func (r Roles) AdminOf(merchantID string) (model.Staff, bool) {
	for _, s := range r {
		if s.Role == model.RoleAdmin && s.MerchantID == merchantID && s.Active() {
			return s, true
		}
	}
	return model.Staff{}, false
}

// ManagerOf returns the caller's manager role in a store.
func (r Roles) ManagerOf(storeID string) (model.Staff, bool) {
	for _, s := range r {
		if s.Role == model.RoleManager && s.StoreID == storeID && s.Active() {
			return s, true
		}
	}
	return model.Staff{}, false
}

// ClerkOf returns the caller's clerk role in a store.
func (r Roles) ClerkOf(storeID string) (model.Staff, bool) {
	for _, s := range r {
		if s.Role == model.RoleClerk && s.StoreID == storeID && s.Active() {
			return s, true
		}
	}
	return model.Staff{}, false
}

// CanManageStore: the merchant's admins and the store's managers.
func (r Roles) CanManageStore(st model.Store) bool {
	if _, ok := r.AdminOf(st.MerchantID); ok {
		return true
	}
	_, ok := r.ManagerOf(st.ID)
	return ok
}

// IsStaffOf reports any role in the store (admin of its merchant included).
func (r Roles) IsStaffOf(st model.Store) bool {
	if r.CanManageStore(st) {
		return true
	}
	_, ok := r.ClerkOf(st.ID)
	return ok
}

// CanAddRole: admins add admins, managers and clerks; managers add clerks.
func (r Roles) CanAddRole(st model.Store, role model.Role) bool {
	if _, ok := r.AdminOf(st.MerchantID); ok {
		return true
	}
	if _, ok := r.ManagerOf(st.ID); ok {
		return role == model.RoleClerk
	}
	return false
}

// CanRemove reports whether the caller may remove staff member t of store st
// (st is zero for admins): admins remove anyone of their merchant, managers
// remove clerks of their store. Nobody removes themselves here.
func (r Roles) CanRemove(t model.Staff) bool {
	for _, s := range r {
		if s.ID == t.ID {
			return false
		}
	}
	if _, ok := r.AdminOf(t.MerchantID); ok {
		return true
	}
	if t.Role == model.RoleClerk {
		_, ok := r.ManagerOf(t.StoreID)
		return ok
	}
	return false
}

// ProviderOwns reports whether a console user is the provider owning a
// merchant.
func ProviderOwns(u model.ConsoleUser, m model.Merchant) bool {
	return u.Role == model.ConsoleProvider && u.ProviderID != "" && u.ProviderID == m.ProviderID
}
