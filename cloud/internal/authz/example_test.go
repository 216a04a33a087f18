package authz_test

import (
	"fmt"

	"github.com/qrstand/qrstand/cloud/internal/authz"
	"github.com/qrstand/qrstand/cloud/internal/model"
)

// A store manager manages their own store, adds clerks but not managers,
// and has no say in another store of the same merchant.
func ExampleRoles() {
	roles := authz.Roles{{ID: "s1", MerchantID: "m1", StoreID: "st1", Role: model.RoleManager, OpenID: "o1"}}
	own := model.Store{ID: "st1", MerchantID: "m1"}
	other := model.Store{ID: "st2", MerchantID: "m1"}
	fmt.Println(roles.CanManageStore(own), roles.CanManageStore(other))
	fmt.Println(roles.CanAddRole(own, model.RoleClerk), roles.CanAddRole(own, model.RoleManager))
	// Output:
	// true false
	// true false
}
