package ui

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/storage"
	"github.com/qrstand/qrstand/mqtt"
)

// The authorization matrix (DESIGN.md §9): every role × every action × a
// target in the caller's own tenant and in other tenants (another store of
// the same merchant, another merchant of the same provider, another
// provider). One table says who may do what; the test generates every
// case from it. A denial must be 404 (or, for a caller without the right
// kind of login, the login redirect) and must look exactly like the answer
// for a target that does not exist.

// scope is where a principal's role applies.
type scope struct {
	operator   bool
	providerID string // console provider
	merchantID string // admin
	storeID    string // manager or clerk
	role       model.Role
}

// target is one tenant's set of resources an action can be aimed at.
type target struct {
	name                  string
	providerID, merchant  string
	store                 string
	pendingAdmin, pendClk string
}

type action struct {
	name   string
	method string
	// console: the action needs a console login; otherwise a WeChat login.
	console bool
	// path and form for a target; prep may create a fresh object to act on.
	path  func(e *env, tg target) string
	form  func(e *env, tg target) url.Values
	allow func(s scope, tg target) bool
}

func providerOf(s scope, tg target) bool { return s.providerID != "" && s.providerID == tg.providerID }
func adminOf(s scope, tg target) bool {
	return s.role == model.RoleAdmin && s.merchantID == tg.merchant
}
func managerOf(s scope, tg target) bool {
	return s.role == model.RoleManager && s.storeID == tg.store
}
func clerkOf(s scope, tg target) bool { return s.role == model.RoleClerk && s.storeID == tg.store }
func manages(s scope, tg target) bool { return adminOf(s, tg) || managerOf(s, tg) }

func operatorOrProvider(s scope, tg target) bool { return s.operator || providerOf(s, tg) }

// boundStand registers a fresh stand bound to the target's store (a
// missing id for the ghost target).
func (e *env) boundStand(tg target) string {
	if tg.name == "missing" {
		return "qrs-nosuch"
	}
	id := "qrs-" + strings.ToLower(storage.NewToken()[:8])
	ctx := context.Background()
	if _, err := e.st.RegisterStand(ctx, id, mqtt.NewSecret(), e.clock.Now()); err != nil {
		e.t.Fatal(err)
	}
	if err := e.st.SetPairCode(ctx, id, "123456", e.clock.Now().Add(time.Hour)); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.st.PairStand(ctx, id, "123456", tg.store, e.clock.Now()); err != nil {
		e.t.Fatal(err)
	}
	return id
}

func static(p string) func(*env, target) string { return func(*env, target) string { return p } }

var actions = []action{
	{name: "operator adds provider", method: "POST", console: true, path: static("/console/providers"),
		form: func(e *env, tg target) url.Values {
			return url.Values{"name": {"P-" + storage.NewToken()[:6]}, "username": {"u" + storage.NewToken()[:10]}, "password": {"password123"}}
		},
		allow: func(s scope, _ target) bool { return s.operator }},
	{name: "provider views merchant", method: "GET", console: true,
		path: func(_ *env, tg target) string { return "/console/merchants/" + tg.merchant }, allow: providerOf},
	{name: "provider adds admin", method: "POST", console: true,
		path: func(_ *env, tg target) string { return "/console/merchants/" + tg.merchant + "/admins" },
		form: func(*env, target) url.Values { return url.Values{"name": {"新管理员"}} }, allow: providerOf},
	{name: "provider renews admin code", method: "POST", console: true,
		path: func(_ *env, tg target) string { return "/console/staff/" + tg.pendingAdmin + "/code" }, allow: providerOf},
	{name: "admin opens merchant page", method: "GET",
		path: func(_ *env, tg target) string { return "/merchant/" + tg.merchant }, allow: adminOf},
	{name: "admin adds store", method: "POST",
		path: func(_ *env, tg target) string { return "/merchant/" + tg.merchant + "/stores" },
		form: func(*env, target) url.Values { return url.Values{"name": {"新店"}} }, allow: adminOf},
	{name: "admin adds admin", method: "POST",
		path: func(_ *env, tg target) string { return "/merchant/" + tg.merchant + "/admins" },
		form: func(*env, target) url.Values { return url.Values{"name": {"新管理员"}} }, allow: adminOf},
	{name: "open store page", method: "GET",
		path: func(_ *env, tg target) string { return "/store/" + tg.store }, allow: manages},
	{name: "add clerk", method: "POST",
		path: func(_ *env, tg target) string { return "/store/" + tg.store + "/staff" },
		form: func(*env, target) url.Values { return url.Values{"role": {"clerk"}, "name": {"新店员"}} }, allow: manages},
	{name: "add manager", method: "POST",
		path: func(_ *env, tg target) string { return "/store/" + tg.store + "/staff" },
		form: func(*env, target) url.Values { return url.Values{"role": {"manager"}, "name": {"新店长"}} }, allow: adminOf},
	{name: "store settings", method: "POST",
		path: func(_ *env, tg target) string { return "/store/" + tg.store + "/settings" },
		form: func(_ *env, tg target) url.Values { return url.Values{"name": {"店 " + tg.name}, "announce": {"1"}} }, allow: manages},
	{name: "show clerk activation code", method: "GET",
		path: func(_ *env, tg target) string { return "/staff/" + tg.pendClk + "/code" }, allow: manages},
	{name: "remove clerk", method: "POST",
		path: func(e *env, tg target) string {
			if tg.name == "missing" {
				return "/staff/01NOSUCHSTAFF/remove"
			}
			return "/staff/" + e.staff(storage.StaffInput{MerchantID: tg.merchant, StoreID: tg.store, Role: model.RoleClerk, Name: "tmp"}, "").ID + "/remove"
		}, allow: manages},
	{name: "pair stand", method: "POST", path: static("/pair"),
		form: func(e *env, tg target) url.Values {
			if tg.name == "missing" {
				return url.Values{"stand": {"qrs-nosuch"}, "code": {"123456"}, "store": {tg.store}}
			}
			id := "qrs-" + strings.ToLower(storage.NewToken()[:8])
			ctx := context.Background()
			if _, err := e.st.RegisterStand(ctx, id, mqtt.NewSecret(), e.clock.Now()); err != nil {
				e.t.Fatal(err)
			}
			if err := e.st.SetPairCode(ctx, id, "123456", e.clock.Now().Add(time.Hour)); err != nil {
				e.t.Fatal(err)
			}
			return url.Values{"stand": {id}, "code": {"123456"}, "store": {tg.store}}
		}, allow: manages},
	{name: "unpair stand", method: "POST",
		path: func(e *env, tg target) string {
			if tg.name == "missing" {
				return "/stand/qrs-nosuch/unpair"
			}
			id := "qrs-" + strings.ToLower(storage.NewToken()[:8])
			ctx := context.Background()
			if _, err := e.st.RegisterStand(ctx, id, mqtt.NewSecret(), e.clock.Now()); err != nil {
				e.t.Fatal(err)
			}
			if err := e.st.SetPairCode(ctx, id, "123456", e.clock.Now().Add(time.Hour)); err != nil {
				e.t.Fatal(err)
			}
			if _, err := e.st.PairStand(ctx, id, "123456", tg.store, e.clock.Now()); err != nil {
				e.t.Fatal(err)
			}
			return "/stand/" + id + "/unpair"
		}, allow: manages},
	{name: "bind blank plate", method: "POST",
		path: func(e *env, tg target) string {
			if tg.name == "missing" {
				return "/p/nosuchplate"
			}
			p, err := e.st.CreatePlates(context.Background(), tg.providerID, 1, e.clock.Now())
			if err != nil {
				e.t.Fatal(err)
			}
			return "/p/" + p[0].Token
		},
		form:  func(_ *env, tg target) url.Values { return url.Values{"store": {tg.store}} },
		allow: manages},
	// The fleet: a provider manages the stands bound to its merchants'
	// stores (the operator every stand); a store's managers and admins see
	// its stands and opt in to their alerts.
	{name: "console stand page", method: "GET", console: true,
		path: func(e *env, tg target) string { return "/console/stands/" + e.boundStand(tg) }, allow: operatorOrProvider},
	{name: "console stand re-key", method: "POST", console: true,
		path: func(e *env, tg target) string { return "/console/stands/" + e.boundStand(tg) + "/rekey" }, allow: operatorOrProvider},
	{name: "console stand revoke", method: "POST", console: true,
		path: func(e *env, tg target) string { return "/console/stands/" + e.boundStand(tg) + "/revoke" }, allow: operatorOrProvider},
	{name: "console stand unpair", method: "POST", console: true,
		path: func(e *env, tg target) string { return "/console/stands/" + e.boundStand(tg) + "/unpair" }, allow: operatorOrProvider},
	{name: "store stands page", method: "GET",
		path: func(_ *env, tg target) string { return "/store/" + tg.store + "/stands" }, allow: manages},
	{name: "stand alerts opt-in", method: "POST",
		path: func(_ *env, tg target) string { return "/store/" + tg.store + "/alerts" },
		form: func(*env, target) url.Values { return url.Values{"alerts": {"1"}} }, allow: manages},
	{name: "clerk page", method: "GET",
		path: func(_ *env, tg target) string { return "/clerk/" + tg.store }, allow: clerkOf},
	{name: "clock in", method: "POST",
		path: func(_ *env, tg target) string { return "/clerk/" + tg.store + "/clockin" }, allow: clerkOf},
	{name: "notifications switch", method: "POST",
		path: func(_ *env, tg target) string { return "/clerk/" + tg.store + "/notify" },
		form: func(*env, target) url.Values { return url.Values{"notify": {"1"}} }, allow: clerkOf},
	{name: "orders list", method: "GET",
		path: func(_ *env, tg target) string { return "/store/" + tg.store + "/orders?state=SUCCESS" }, allow: manages},
	{name: "shift records", method: "GET",
		path: func(_ *env, tg target) string { return "/store/" + tg.store + "/shifts" }, allow: manages},
	{name: "end a clerk's shift", method: "POST",
		path: func(e *env, tg target) string {
			if tg.name == "missing" {
				return "/store/" + tg.store + "/shifts/01NOSUCHSHIFT/end"
			}
			c := e.staff(storage.StaffInput{MerchantID: tg.merchant, StoreID: tg.store, Role: model.RoleClerk, Name: "班"}, "o-shift-"+strings.ToLower(storage.NewToken()[:10]))
			sh, _, err := e.st.ClockIn(context.Background(), tg.store, c.ID, e.clock.Now())
			if err != nil {
				e.t.Fatal(err)
			}
			return "/store/" + tg.store + "/shifts/" + sh.ID + "/end"
		}, allow: manages},
	{name: "manager's own messages switch", method: "POST",
		path: func(_ *env, tg target) string { return "/store/" + tg.store + "/notify" },
		form: func(*env, target) url.Values { return url.Values{"notify": {"1"}} }, allow: managerOf},
	{name: "admin's own messages switch", method: "POST",
		path: func(_ *env, tg target) string { return "/merchant/" + tg.merchant + "/notify" },
		form: func(*env, target) url.Values { return url.Values{"notify": {"1"}} }, allow: adminOf},
	{name: "grant a manager refund rights", method: "POST",
		path: func(e *env, tg target) string {
			if tg.name == "missing" {
				return "/staff/01NOSUCHSTAFF/refund"
			}
			return "/staff/" + e.staff(storage.StaffInput{MerchantID: tg.merchant, StoreID: tg.store, Role: model.RoleManager, Name: "店长"}, "").ID + "/refund"
		},
		form: func(*env, target) url.Values { return url.Values{"can_refund": {"1"}} }, allow: adminOf},
	{name: "grant a clerk refund rights (never)", method: "POST",
		path: func(e *env, tg target) string {
			if tg.name == "missing" {
				return "/staff/01NOSUCHSTAFF/refund"
			}
			return "/staff/" + e.staff(storage.StaffInput{MerchantID: tg.merchant, StoreID: tg.store, Role: model.RoleClerk, Name: "店员"}, "").ID + "/refund"
		},
		form:  func(*env, target) url.Values { return url.Values{"can_refund": {"1"}} },
		allow: func(scope, target) bool { return false }},
}

type actor struct {
	p     principal
	scope scope
}

func TestAuthorizationMatrix(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	now := e.clock.Now()
	hash, _ := HashPassword("password123")
	mkProvider := func(name string) (model.Provider, model.ConsoleUser) {
		p, err := e.st.CreateProvider(ctx, name, "1", "wx", model.ProviderSecrets{}, now)
		if err != nil {
			t.Fatal(err)
		}
		u, err := e.st.CreateConsoleUser(ctx, "user-"+name, hash, model.ConsoleProvider, p.ID, now)
		if err != nil {
			t.Fatal(err)
		}
		return p, u
	}
	op, err := e.st.CreateConsoleUser(ctx, "operator", hash, model.ConsoleOperator, "", now)
	if err != nil {
		t.Fatal(err)
	}
	pa, ua := mkProvider("A")
	pb, ub := mkProvider("B")
	n := 0
	mkMerchant := func(p model.Provider) model.Merchant {
		n++
		m, _, _, err := e.st.CreateMerchant(ctx, p.ID, storage.MerchantInput{Name: fmt.Sprint("M", n), SubMchID: fmt.Sprint(1900000000 + n), AdminName: "first"}, time.Hour, now)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	mkStore := func(m model.Merchant, name string) model.Store {
		s, _, _, err := e.st.CreateStore(ctx, m.ID, storage.StoreInput{Name: name}, time.Hour, now)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	m1, m2, mb := mkMerchant(pa), mkMerchant(pa), mkMerchant(pb)
	s1, s2, s3, sb := mkStore(m1, "S1"), mkStore(m1, "S2"), mkStore(m2, "S3"), mkStore(mb, "SB")
	mkTarget := func(name string, p model.Provider, m model.Merchant, s model.Store) target {
		return target{name: name, providerID: p.ID, merchant: m.ID, store: s.ID,
			pendingAdmin: e.staff(storage.StaffInput{MerchantID: m.ID, Role: model.RoleAdmin, Name: "pending"}, "").ID,
			pendClk:      e.staff(storage.StaffInput{MerchantID: m.ID, StoreID: s.ID, Role: model.RoleClerk, Name: "pending"}, "").ID}
	}
	targets := []target{
		mkTarget("own M1/S1", pa, m1, s1),
		mkTarget("other store M1/S2", pa, m1, s2),
		mkTarget("other merchant M2/S3", pa, m2, s3),
		mkTarget("other provider MB/SB", pb, mb, sb),
	}
	// A target whose every id is missing, for the "does not reveal" check.
	ghost := target{name: "missing", providerID: pa.ID, merchant: "01NOSUCHMERCHANT", store: "01NOSUCHSTORE", pendingAdmin: "01NOSUCHSTAFF", pendClk: "01NOSUCHSTAFF"}

	wx := func(name string, in storage.StaffInput, sc scope) actor {
		openid := "o-" + name
		e.staff(in, openid)
		return actor{p: e.wechatLogin(name, openid), scope: sc}
	}
	actors := []actor{
		{p: principal{name: "anonymous"}},
		{p: e.consoleLogin(op), scope: scope{operator: true}},
		{p: e.consoleLogin(ua), scope: scope{providerID: pa.ID}},
		{p: e.consoleLogin(ub), scope: scope{providerID: pb.ID}},
		wx("admin-M1", storage.StaffInput{MerchantID: m1.ID, Role: model.RoleAdmin, Name: "a", CanRefund: true}, scope{merchantID: m1.ID, role: model.RoleAdmin}),
		wx("manager-S1", storage.StaffInput{MerchantID: m1.ID, StoreID: s1.ID, Role: model.RoleManager, Name: "m"}, scope{storeID: s1.ID, role: model.RoleManager}),
		wx("clerk-S1", storage.StaffInput{MerchantID: m1.ID, StoreID: s1.ID, Role: model.RoleClerk, Name: "c"}, scope{storeID: s1.ID, role: model.RoleClerk}),
		{p: e.wechatLogin("customer", "o-customer")},
	}

	allowedCount, deniedCount := 0, 0
	for _, a := range actions {
		for _, ac := range actors {
			for _, tg := range targets {
				name := fmt.Sprintf("%s/%s/%s", a.name, ac.p.name, tg.name)
				t.Run(name, func(t *testing.T) {
					path := a.path(e, tg)
					var form func() url.Values
					if a.form != nil {
						form = func() url.Values { return a.form(e, tg) }
					} else {
						form = func() url.Values { return nil }
					}
					w := e.do(ac.p, a.method, path, form())
					loggedIn := (a.console && ac.p.console != "") || (!a.console && ac.p.wechat != "")
					if a.allow(ac.scope, tg) {
						allowedCount++
						if w.Code != http.StatusOK && w.Code != http.StatusSeeOther {
							t.Fatalf("allowed: status %d, want 200 or 303\n%s", w.Code, w.Body.String())
						}
						if loc := w.Header().Get("Location"); strings.Contains(loc, "/login") || strings.Contains(loc, "/auth/wechat") {
							t.Fatalf("allowed action sent to login: %s", loc)
						}
						return
					}
					deniedCount++
					if !loggedIn {
						// No login of the kind the action needs: the login redirect.
						want := "/console/login"
						if !a.console {
							want = "/auth/wechat"
						}
						if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), want) {
							t.Fatalf("no login: status %d location %q, want 303 to %s", w.Code, w.Header().Get("Location"), want)
						}
						return
					}
					if w.Code != http.StatusNotFound && w.Code != http.StatusForbidden {
						t.Fatalf("denied: status %d, want 403/404\n%s", w.Code, w.Body.String())
					}
					// The same request aimed at objects that do not exist.
					ghostTg := ghost
					g := e.do(ac.p, a.method, a.path(e, ghostTg), formFor(a, e, ghostTg))
					if a.path(e, ghostTg) == path && a.method == "GET" {
						return // path has no id (nothing to compare)
					}
					if g.Code != w.Code || g.Body.String() != w.Body.String() {
						t.Fatalf("denial reveals existence: existing %d, missing %d\nexisting body:\n%s\nmissing body:\n%s", w.Code, g.Code, w.Body.String(), g.Body.String())
					}
				})
			}
		}
	}
	t.Logf("matrix: %d allowed, %d denied cases", allowedCount, deniedCount)
	if allowedCount == 0 || deniedCount == 0 {
		t.Fatal("matrix degenerate")
	}
}

func formFor(a action, e *env, tg target) url.Values {
	if a.form == nil {
		return nil
	}
	return a.form(e, tg)
}
