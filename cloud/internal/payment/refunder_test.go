package payment

import (
	"testing"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/authz"
	"github.com/qrstand/qrstand/cloud/internal/model"
)

// Only an active manager of the store or admin of its merchant holding the
// permission refunds; a clerk never does, even with a stray can_refund
// left in an old database.
func TestRefunder(t *testing.T) {
	st := model.Store{ID: "S1", MerchantID: "M1"}
	active := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		role model.Staff
		want bool
	}{
		{"admin with permission", model.Staff{ID: "a", Role: model.RoleAdmin, MerchantID: "M1", CanRefund: true}, true},
		{"admin of another merchant", model.Staff{ID: "a", Role: model.RoleAdmin, MerchantID: "M2", CanRefund: true}, false},
		{"admin without permission", model.Staff{ID: "a", Role: model.RoleAdmin, MerchantID: "M1"}, false},
		{"manager with permission", model.Staff{ID: "m", Role: model.RoleManager, MerchantID: "M1", StoreID: "S1", CanRefund: true}, true},
		{"manager of another store", model.Staff{ID: "m", Role: model.RoleManager, MerchantID: "M1", StoreID: "S2", CanRefund: true}, false},
		{"clerk with a stray permission", model.Staff{ID: "c", Role: model.RoleClerk, MerchantID: "M1", StoreID: "S1", CanRefund: true}, false},
	} {
		tc.role.OpenID, tc.role.ActivatedAt = "o-x", active
		if _, got := Refunder(authz.Roles{tc.role}, st); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestValidRefundNo(t *testing.T) {
	for no, want := range map[string]bool{
		"R01M8EV3182X5CCR1ZRYHBYMBKV": true, "a_b-c|d*e@f": true, "": false, "R 1": false, "R/1": false, "退款": false,
		string(make([]byte, 65)): false,
	} {
		if got := validRefundNo(no); got != want {
			t.Errorf("validRefundNo(%q) = %v, want %v", no, got, want)
		}
	}
}
