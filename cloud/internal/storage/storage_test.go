package storage_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qrstand/qrstand/cloud/internal/database"
	"github.com/qrstand/qrstand/cloud/internal/dbtest"
	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/storage"
	"github.com/qrstand/qrstand/mqtt"
)

var t0 = time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC)

const ttl = 72 * time.Hour

type fixture struct {
	s        *storage.Storage
	prov     model.Provider
	merchant model.Merchant
	admin    model.Staff
	code     model.ActivationCode
	store    model.Store
}

func setup(t *testing.T, s *storage.Storage) fixture {
	t.Helper()
	ctx := context.Background()
	p, err := s.CreateProvider(ctx, "Prov", "1900000001", "wxsp", model.ProviderSecrets{APIv3Key: "k"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	m, admin, code, err := s.CreateMerchant(ctx, p.ID, storage.MerchantInput{Name: "面馆", SubMchID: "1900000101", AdminName: "王老板"}, ttl, t0)
	if err != nil {
		t.Fatal(err)
	}
	st, _, _, err := s.CreateStore(ctx, m.ID, storage.StoreInput{Name: "一号店"}, ttl, t0)
	if err != nil {
		t.Fatal(err)
	}
	return fixture{s: s, prov: p, merchant: m, admin: admin, code: code, store: st}
}

func TestMigrateIdempotent(t *testing.T) {
	for _, d := range dbtest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			db := dbtest.OpenDB(t, d)
			ctx := context.Background()
			if err := database.Migrate(ctx, db); err != nil {
				t.Fatal(err)
			}
			v, err := database.Version(ctx, db)
			if err != nil || v != database.SchemaVersion() {
				t.Fatalf("Version = %d, %v; want %d", v, err, database.SchemaVersion())
			}
		})
	}
}

func TestProviderSecretsSealed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *storage.Storage) {
		ctx := context.Background()
		want := model.ProviderSecrets{AppSecret: "app-secret-123", APIv3Key: "apiv3-key-456"}
		p, err := s.CreateProvider(ctx, "P", "1", "wx1", want, t0)
		if err != nil {
			t.Fatal(err)
		}
		var raw string
		if err := s.DB().QueryRowContext(ctx, "SELECT secrets_sealed FROM providers").Scan(&raw); err != nil {
			t.Fatal(err)
		}
		if raw == "" || strings.Contains(raw, "app-secret") || strings.Contains(raw, "apiv3") {
			t.Fatalf("secrets stored in the clear: %q", raw)
		}
		got, err := s.ProviderSecrets(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(got, want); diff != "" {
			t.Errorf("secrets (-got +want):\n%s", diff)
		}
		// A sealed value copied onto another provider does not open.
		q, _ := s.CreateProvider(ctx, "Q", "2", "wx2", model.ProviderSecrets{}, t0)
		if _, err := s.DB().ExecContext(ctx, "UPDATE providers SET secrets_sealed = '"+raw+"' WHERE name = 'Q'"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ProviderSecrets(ctx, q.ID); err == nil {
			t.Fatal("moved sealed secrets opened under another provider")
		}
	})
}

func TestCreateMerchant(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *storage.Storage) {
		f := setup(t, s)
		ctx := context.Background()
		if !f.admin.CanRefund || f.admin.Role != model.RoleAdmin || f.admin.Active() {
			t.Errorf("first admin = %+v", f.admin)
		}
		if f.code.Role != model.RoleAdmin || f.code.ScopeID != f.merchant.ID || !f.code.ExpiresAt.Equal(t0.Add(ttl)) {
			t.Errorf("code = %+v", f.code)
		}
		_, _, _, err := s.CreateMerchant(ctx, f.prov.ID, storage.MerchantInput{Name: "dup", SubMchID: "1900000101", AdminName: "x"}, ttl, t0)
		if !errors.Is(err, storage.ErrConflict) {
			t.Errorf("duplicate sub_mchid: %v, want ErrConflict", err)
		}
		m, err := s.MerchantByManageToken(ctx, f.merchant.ManageToken)
		if err != nil || m.ID != f.merchant.ID {
			t.Errorf("MerchantByManageToken = %v, %v", m, err)
		}
		if _, err := s.Merchant(ctx, "nope"); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("Merchant(nope) = %v", err)
		}
		got, err := s.Merchant(ctx, f.merchant.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(got, f.merchant); diff != "" {
			t.Errorf("merchant round trip (-got +want):\n%s", diff)
		}
	})
}

func staffCount(t *testing.T, s *storage.Storage, openid string) int {
	t.Helper()
	st, err := s.StaffByOpenID(context.Background(), openid)
	if err != nil {
		t.Fatal(err)
	}
	return len(st)
}

func TestActivate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *storage.Storage) {
		f := setup(t, s)
		ctx := context.Background()
		other, _, otherCode, err := s.CreateMerchant(ctx, f.prov.ID, storage.MerchantInput{Name: "other", SubMchID: "1900000102", AdminName: "李"}, ttl, t0)
		if err != nil {
			t.Fatal(err)
		}
		_ = other
		for _, tc := range []struct {
			name  string
			token string
			role  model.Role
			scope string
			now   time.Time
			want  error
		}{
			{"unknown", "no-such-code", model.RoleAdmin, f.merchant.ID, t0, storage.ErrCodeUnknown},
			{"wrong role", f.code.Token, model.RoleManager, f.merchant.ID, t0, storage.ErrCodeWrongRole},
			{"wrong tenant", f.code.Token, model.RoleAdmin, other.ID, t0, storage.ErrCodeWrongScope},
			{"other tenant's code", otherCode.Token, model.RoleAdmin, f.merchant.ID, t0, storage.ErrCodeWrongScope},
			{"expired", f.code.Token, model.RoleAdmin, f.merchant.ID, t0.Add(ttl), storage.ErrCodeExpired},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := s.Activate(ctx, tc.token, tc.role, tc.scope, "oA", false, tc.now)
				if !errors.Is(err, tc.want) {
					t.Fatalf("Activate = %v, want %v", err, tc.want)
				}
				if n := staffCount(t, s, "oA"); n != 0 {
					t.Fatalf("failed activation changed roles: %d", n)
				}
			})
		}
		st, err := s.Activate(ctx, f.code.Token, model.RoleAdmin, f.merchant.ID, "oA", false, t0.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if st.OpenID != "oA" || st.ID != f.admin.ID {
			t.Errorf("activated %+v", st)
		}
		if _, err := s.Activate(ctx, f.code.Token, model.RoleAdmin, f.merchant.ID, "oB", false, t0.Add(time.Hour)); !errors.Is(err, storage.ErrCodeUsed) {
			t.Errorf("reuse: %v, want ErrCodeUsed", err)
		}
		if n := staffCount(t, s, "oB"); n != 0 {
			t.Errorf("reuse granted a role")
		}
		if n := staffCount(t, s, "oA"); n != 1 {
			t.Errorf("oA roles = %d, want 1", n)
		}
	})
}

func TestActivateClerkNotifyAndReissue(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *storage.Storage) {
		f := setup(t, s)
		ctx := context.Background()
		clerk, c1, err := s.AddStaff(ctx, storage.StaffInput{MerchantID: f.merchant.ID, StoreID: f.store.ID, Role: model.RoleClerk, Name: "小张", ClerkCode: true}, ttl, t0)
		if err != nil {
			t.Fatal(err)
		}
		if clerk.ClerkCodeToken == "" {
			t.Error("clerk code not issued")
		}
		c2, err := s.NewActivationCode(ctx, clerk.ID, ttl, t0.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Activate(ctx, c1.Token, model.RoleClerk, f.store.ID, "oC", true, t0.Add(2*time.Minute)); !errors.Is(err, storage.ErrCodeExpired) {
			t.Errorf("superseded code: %v, want ErrCodeExpired", err)
		}
		st, err := s.Activate(ctx, c2.Token, model.RoleClerk, f.store.ID, "oC", true, t0.Add(2*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if !st.Notify {
			t.Error("clerk opted in but Notify is false")
		}
		// A manager code presented as a clerk code in another store.
		_, _, _, err = s.CreateStore(ctx, f.merchant.ID, storage.StoreInput{Name: "二号店"}, ttl, t0)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.AddStaff(ctx, storage.StaffInput{MerchantID: f.merchant.ID, StoreID: "missing", Role: model.RoleClerk, Name: "x"}, ttl, t0); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("clerk in missing store: %v", err)
		}
	})
}

func TestRoleHeldTwice(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *storage.Storage) {
		f := setup(t, s)
		ctx := context.Background()
		_, c2, err := s.AddStaff(ctx, storage.StaffInput{MerchantID: f.merchant.ID, Role: model.RoleAdmin, Name: "二"}, ttl, t0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Activate(ctx, f.code.Token, model.RoleAdmin, f.merchant.ID, "oA", false, t0); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Activate(ctx, c2.Token, model.RoleAdmin, f.merchant.ID, "oA", false, t0); !errors.Is(err, storage.ErrRoleHeld) {
			t.Errorf("second admin role for one openid: %v, want ErrRoleHeld", err)
		}
		if _, err := s.Activate(ctx, c2.Token, model.RoleAdmin, f.merchant.ID, "oB", false, t0); err != nil {
			t.Errorf("code must still work for another user after ErrRoleHeld: %v", err)
		}
	})
}

func TestLastRefundAdmin(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *storage.Storage) {
		f := setup(t, s)
		ctx := context.Background()
		if err := s.RemoveStaff(ctx, f.admin.ID, t0); !errors.Is(err, storage.ErrLastRefundAdmin) {
			t.Fatalf("remove last refund admin: %v", err)
		}
		if err := s.SetRefund(ctx, f.admin.ID, false); !errors.Is(err, storage.ErrLastRefundAdmin) {
			t.Fatalf("revoke last refund admin: %v", err)
		}
		second, _, err := s.AddStaff(ctx, storage.StaffInput{MerchantID: f.merchant.ID, Role: model.RoleAdmin, Name: "二"}, ttl, t0)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.RemoveStaff(ctx, f.admin.ID, t0); !errors.Is(err, storage.ErrLastRefundAdmin) {
			t.Fatalf("a second admin without refund does not free the first: %v", err)
		}
		if err := s.SetRefund(ctx, second.ID, true); err != nil {
			t.Fatal(err)
		}
		if err := s.RemoveStaff(ctx, f.admin.ID, t0); err != nil {
			t.Fatalf("remove with another refund admin left: %v", err)
		}
		if err := s.RemoveStaff(ctx, second.ID, t0); !errors.Is(err, storage.ErrLastRefundAdmin) {
			t.Fatalf("remove the new last one: %v", err)
		}
		if _, err := s.Activate(ctx, f.code.Token, model.RoleAdmin, f.merchant.ID, "oA", false, t0); err == nil {
			t.Fatal("removed admin's code still activates")
		}
		admins, _ := s.StaffByScope(ctx, f.merchant.ID, "")
		if len(admins) != 1 || admins[0].ID != second.ID {
			t.Errorf("admins = %+v", admins)
		}
	})
}

func TestShiftRule(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *storage.Storage) {
		f := setup(t, s)
		ctx := context.Background()
		clerk := func(name, openid string) model.Staff {
			st, c, err := s.AddStaff(ctx, storage.StaffInput{MerchantID: f.merchant.ID, StoreID: f.store.ID, Role: model.RoleClerk, Name: name}, ttl, t0)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Activate(ctx, c.Token, model.RoleClerk, f.store.ID, openid, true, t0); err != nil {
				t.Fatal(err)
			}
			return st
		}
		a, b := clerk("A", "oA"), clerk("B", "oB")
		at := func(h float64) time.Time { return t0.Add(time.Duration(h * float64(time.Hour))) }

		// A: 9:00 in; a second tap keeps the same shift.
		s1, already, err := s.ClockIn(ctx, f.store.ID, a.ID, at(9))
		if err != nil || already {
			t.Fatalf("first clock-in: %v %v", already, err)
		}
		if !s1.StartsAt.Equal(at(9)) {
			t.Errorf("first shift starts %v, want its clock-in", s1.StartsAt)
		}
		again, already, err := s.ClockIn(ctx, f.store.ID, a.ID, at(9.5))
		if err != nil || !already || again.ID != s1.ID {
			t.Fatalf("second tap: %+v %v %v", again, already, err)
		}
		// B clocks in at 10:00 while A is on duty: both are on duty, B's
		// shift starts at its own clock-in.
		s2, _, err := s.ClockIn(ctx, f.store.ID, b.ID, at(10))
		if err != nil || !s2.StartsAt.Equal(at(10)) {
			t.Fatalf("B clock-in: %+v %v", s2, err)
		}
		duty, err := s.OnDuty(ctx, f.store.ID)
		if err != nil || len(duty) != 2 || duty[0].ID != s1.ID || duty[1].ID != s2.ID {
			t.Fatalf("on duty = %+v, %v", duty, err)
		}
		// A clocks out at 13:00: B stays on duty.
		out1, err := s.ClockOut(ctx, f.store.ID, a.ID, at(13))
		if err != nil || out1.Shift.ID != s1.ID || !out1.Shift.EndsAt.Equal(at(13)) || out1.Clerk != "A" || out1.StoreName != "一号店" {
			t.Fatalf("A clock-out: %+v %v", out1, err)
		}
		if _, err := s.ClockOut(ctx, f.store.ID, a.ID, at(13.1)); !errors.Is(err, storage.ErrNotOnShift) {
			t.Errorf("A clocks out twice: %v", err)
		}
		if sh, err := s.OpenShiftOf(ctx, f.store.ID, b.ID); err != nil || sh.ID != s2.ID {
			t.Errorf("B's shift after A's clock-out: %+v %v", sh, err)
		}
		// B clocks out at 18:00; nobody on duty. A comes back at 19:00:
		// the shift starts at B's clock-out (the original product's rule).
		if _, err := s.ClockOut(ctx, f.store.ID, b.ID, at(18)); err != nil {
			t.Fatal(err)
		}
		s3, _, err := s.ClockIn(ctx, f.store.ID, a.ID, at(19))
		if err != nil || !s3.StartsAt.Equal(at(18)) || !s3.ClockInAt.Equal(at(19)) {
			t.Fatalf("A back: %+v %v", s3, err)
		}
		// A forgets to clock out; a manager ends the shift.
		ended, err := s.EndShift(ctx, s3.ID, at(30))
		if err != nil || ended.Shift.EndedBy != model.EndedByManager {
			t.Fatalf("manager ends shift: %+v %v", ended, err)
		}
		got, err := s.Shifts(ctx, f.store.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		type row struct {
			Staff      string
			Start, End time.Time
			By         string
		}
		var rows []row
		for _, sh := range got {
			rows = append(rows, row{sh.StaffID, sh.StartsAt, sh.EndsAt, sh.EndedBy})
		}
		want := []row{
			{a.ID, at(18), at(30), model.EndedByManager},
			{b.ID, at(10), at(18), model.EndedByClockOut},
			{a.ID, at(9), at(13), model.EndedByClockOut},
		}
		if diff := cmp.Diff(rows, want); diff != "" {
			t.Errorf("shifts (-got +want):\n%s", diff)
		}
		// Every end wrote one shift.closed row per stand: none bound here.
		if rows, err := s.OutboxByRef(ctx, s1.ID); err != nil || len(rows) != 0 {
			t.Errorf("outbox rows with no stand: %+v %v", rows, err)
		}
		// A manager is not a clerk and cannot clock in.
		if _, _, err := s.ClockIn(ctx, f.store.ID, f.admin.ID, at(41)); !errors.Is(err, storage.ErrNotClerk) {
			t.Errorf("admin clock-in: %v", err)
		}
		// A removed clerk is off duty.
		if _, _, err := s.ClockIn(ctx, f.store.ID, b.ID, at(42)); err != nil {
			t.Fatal(err)
		}
		if err := s.RemoveStaff(ctx, b.ID, at(43)); err != nil {
			t.Fatal(err)
		}
		if duty, _ := s.OnDuty(ctx, f.store.ID); len(duty) != 0 {
			t.Errorf("removed clerk still on duty: %+v", duty)
		}
	})
}

// The 交班单: store-code payments and the clerk's own code while the shift
// was open, refunds settled meanwhile; one shift.closed row per stand.
func TestShiftSlip(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *storage.Storage) {
		f := setup(t, s)
		ctx := context.Background()
		at := func(h float64) time.Time { return t0.Add(time.Duration(h * float64(time.Hour))) }
		clerk := func(name, openid string) model.Staff {
			st, c, err := s.AddStaff(ctx, storage.StaffInput{MerchantID: f.merchant.ID, StoreID: f.store.ID, Role: model.RoleClerk, Name: name, ClerkCode: true}, ttl, t0)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Activate(ctx, c.Token, model.RoleClerk, f.store.ID, openid, true, t0); err != nil {
				t.Fatal(err)
			}
			return st
		}
		a, b := clerk("A", "oA"), clerk("B", "oB")
		if _, err := s.RegisterStand(ctx, "qrs-slip-1", "secret-secret-1", t0); err != nil {
			t.Fatal(err)
		}
		if err := s.SetPairCode(ctx, "qrs-slip-1", "12345678", at(100)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.PairStand(ctx, "qrs-slip-1", "12345678", f.store.ID, t0); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.ClockIn(ctx, f.store.ID, a.ID, at(9)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.ClockIn(ctx, f.store.ID, b.ID, at(9)); err != nil {
			t.Fatal(err)
		}
		n := 0
		pay := func(h float64, fen int64, clerkID string) string {
			n++
			no := fmt.Sprintf("QSLIP%02d", n)
			o := model.Order{OutTradeNo: no, StoreID: f.store.ID, MerchantID: f.merchant.ID, ProviderID: f.prov.ID, SpMchID: "1900000001",
				SubMchID: "1900000101", ClerkID: clerkID, AmountFen: fen, CreatedAt: at(h), TimeExpire: at(h + 1)}
			if err := s.CreateOrder(ctx, o); err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.MarkPaid(ctx, storage.Paid{OutTradeNo: no, TransactionID: "T" + no, PaidAt: at(h), Via: "notify"}, at(h),
				func(model.Order) (storage.Envelopes, error) { return storage.Envelopes{}, nil }); err != nil {
				t.Fatal(err)
			}
			return no
		}
		pay(8, 999, "")         // before the shift
		s1 := pay(10, 1000, "") // store code
		pay(11, 2000, a.ID)     // A's code
		pay(11.5, 4000, b.ID)   // B's code: not on A's slip
		refund(t, s, s1, 300, at(12))
		pay(14, 8000, "") // after A's clock-out
		sl, err := s.ClockOut(ctx, f.store.ID, a.ID, at(13))
		if err != nil {
			t.Fatal(err)
		}
		if sl.Count != 2 || sl.TotalFen != 3000 || sl.RefundCount != 1 || sl.RefundFen != 300 || sl.NetFen != 2700 {
			t.Errorf("slip = %+v", sl)
		}
		rows, err := s.OutboxByRef(ctx, sl.Shift.ID)
		if err != nil || len(rows) != 1 || rows[0].StandID != "qrs-slip-1" || rows[0].Type != "shift.closed" {
			t.Fatalf("shift.closed rows = %+v %v", rows, err)
		}
		m, err := mqtt.Unmarshal(rows[0].Payload)
		if err != nil {
			t.Fatal(err)
		}
		body := m.Body.(*mqtt.ShiftClosed)
		if body.Clerk != "A" || body.NetFen != 2700 || body.Count != 2 || !body.End.Equal(at(13)) || body.StoreName != "一号店" {
			t.Errorf("shift.closed body = %+v", body)
		}
		// The orders list's filters.
		for _, tc := range []struct {
			name string
			f    storage.OrderFilter
			want int
		}{
			{"all", storage.OrderFilter{}, 5},
			{"store code", storage.OrderFilter{Code: "store"}, 3},
			{"A's code", storage.OrderFilter{Code: a.ID}, 1},
			{"credited to B", storage.OrderFilter{StaffID: b.ID}, 1},
			{"refunded", storage.OrderFilter{State: model.OrderRefund}, 1},
			{"day window", storage.OrderFilter{From: at(9.5), To: at(12)}, 3},
		} {
			tc.f.StoreID = f.store.ID
			got, err := s.Orders(ctx, tc.f)
			if err != nil || len(got) != tc.want {
				t.Errorf("orders %s: %d, %v; want %d", tc.name, len(got), err, tc.want)
			}
		}
		// B's running shift counts everything but A's code.
		open, _ := s.OpenShiftOf(ctx, f.store.ID, b.ID)
		bs, err := s.ShiftSlipOf(ctx, open, at(15))
		if err != nil || bs.Count != 3 || bs.TotalFen != 13000 || bs.RefundFen != 300 {
			t.Errorf("B's running slip = %+v %v", bs, err)
		}
	})
}

func refund(t *testing.T, s *storage.Storage, no string, fen int64, at time.Time) {
	t.Helper()
	ctx := context.Background()
	r, _, err := s.BeginRefund(ctx, model.Refund{OutRefundNo: "R" + no, OutTradeNo: no, AmountFen: fen, CreatedAt: at})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.MarkRefunded(ctx, r.OutRefundNo, "W"+no, at, at, func(model.Order, model.Refund) (storage.Envelopes, error) {
		return storage.Envelopes{}, nil
	}); err != nil {
		t.Fatal(err)
	}
}

func TestNotifyRecipients(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *storage.Storage) {
		f := setup(t, s)
		ctx := context.Background()
		mk := func(role model.Role, name, openid string, notify bool) model.Staff {
			in := storage.StaffInput{MerchantID: f.merchant.ID, StoreID: f.store.ID, Role: role, Name: name, ClerkCode: role == model.RoleClerk}
			if role == model.RoleAdmin {
				in.StoreID = ""
			}
			st, c, err := s.AddStaff(ctx, in, ttl, t0)
			if err != nil {
				t.Fatal(err)
			}
			scope := f.store.ID
			if role == model.RoleAdmin {
				scope = f.merchant.ID
			}
			if _, err := s.Activate(ctx, c.Token, role, scope, openid, notify, t0); err != nil {
				t.Fatal(err)
			}
			return st
		}
		a, b, c := mk(model.RoleClerk, "A", "oA", true), mk(model.RoleClerk, "B", "oB", true), mk(model.RoleClerk, "C", "oC", false)
		names := func(clerkID string) []string {
			got, err := s.NotifyRecipients(ctx, f.store.ID, clerkID)
			if err != nil {
				t.Fatal(err)
			}
			out := []string{}
			for _, g := range got {
				out = append(out, g.Name)
			}
			return out
		}
		check := func(what, clerkID string, want ...string) {
			t.Helper()
			if want == nil {
				want = []string{}
			}
			if diff := cmp.Diff(names(clerkID), want); diff != "" {
				t.Errorf("%s (-got +want):\n%s", what, diff)
			}
		}
		check("nobody on duty, store code", "")
		check("nobody on duty, B's code: B themself, never no one", b.ID, "B")
		for _, x := range []model.Staff{a, b} {
			if _, _, err := s.ClockIn(ctx, f.store.ID, x.ID, t0); err != nil {
				t.Fatal(err)
			}
		}
		check("two on duty, store code", "", "A", "B")
		check("B's code, B on duty", b.ID, "B")
		if _, err := s.ClockOut(ctx, f.store.ID, b.ID, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		check("off-duty B's code reaches the on-duty staff", b.ID, "A")
		check("C opted out; C's code reaches the on-duty staff", c.ID, "A")
		// Managers and admins who opt in get every payment of the store.
		mgr := mk(model.RoleManager, "M", "oM", true)
		mk(model.RoleManager, "M2", "oM2", false)
		adm := mk(model.RoleAdmin, "Adm", "oAdm", false)
		check("manager opted in", "", "A", "M")
		if err := s.SetNotify(ctx, adm.ID, true); err != nil {
			t.Fatal(err)
		}
		check("admin opted in", b.ID, "A", "M", "Adm")
		// One message per WeChat user even with two roles.
		mk(model.RoleClerk, "M as clerk", "oM", true)
		check("same person, two roles", "", "A", "M", "Adm")
		st := f.store
		st.NotifyOffShift = true
		if err := s.UpdateStoreSettings(ctx, st); err != nil {
			t.Fatal(err)
		}
		// The same person as an off-duty clerk now gets it (once) as a clerk.
		check("notify off-shift clerks", "", "A", "B", "M as clerk", "Adm")
		check("notify off-shift: B's code", b.ID, "B", "M", "Adm")
		if err := s.SetNotify(ctx, mgr.ID, false); err != nil {
			t.Fatal(err)
		}
		check("manager opted out", "", "A", "B", "M as clerk", "Adm")
	})
}

func TestPlates(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *storage.Storage) {
		f := setup(t, s)
		ctx := context.Background()
		plates, err := s.CreatePlates(ctx, f.prov.ID, 2, t0)
		if err != nil || len(plates) != 2 {
			t.Fatal(plates, err)
		}
		other, _ := s.CreateProvider(ctx, "Other", "2", "wx2", model.ProviderSecrets{}, t0)
		om, _, _, _ := s.CreateMerchant(ctx, other.ID, storage.MerchantInput{Name: "o", SubMchID: "9", AdminName: "o"}, ttl, t0)
		ostore, _, _, _ := s.CreateStore(ctx, om.ID, storage.StoreInput{Name: "o"}, ttl, t0)
		if err := s.BindPlate(ctx, plates[0].Token, ostore.ID, t0); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("bind to another provider's store: %v", err)
		}
		if err := s.BindPlate(ctx, plates[0].Token, f.store.ID, t0); err != nil {
			t.Fatal(err)
		}
		if err := s.BindPlate(ctx, plates[0].Token, f.store.ID, t0); !errors.Is(err, storage.ErrPlateBound) {
			t.Errorf("second bind: %v", err)
		}
		p, _ := s.Plate(ctx, plates[0].Token)
		if p.StoreID != f.store.ID || !p.BoundAt.Equal(t0) {
			t.Errorf("plate = %+v", p)
		}
	})
}

func TestStandPairing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *storage.Storage) {
		f := setup(t, s)
		ctx := context.Background()
		if _, err := s.RegisterStand(ctx, "qrs-0001", "s3cret", t0); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RegisterStand(ctx, "qrs-0001", "x", t0); !errors.Is(err, storage.ErrConflict) {
			t.Errorf("re-register: %v", err)
		}
		if ok, _ := s.VerifyStandSecret(ctx, "qrs-0001", "s3cret"); !ok {
			t.Error("right secret refused")
		}
		if ok, _ := s.VerifyStandSecret(ctx, "qrs-0001", "wrong"); ok {
			t.Error("wrong secret accepted")
		}
		if _, err := s.PairStand(ctx, "qrs-0001", "123456", f.store.ID, t0); !errors.Is(err, storage.ErrPairCode) {
			t.Errorf("pair without a code: %v", err)
		}
		if err := s.SetPairCode(ctx, "qrs-0001", "123456", t0.Add(10*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.PairStand(ctx, "qrs-0001", "654321", f.store.ID, t0); !errors.Is(err, storage.ErrPairCode) {
			t.Errorf("wrong code: %v", err)
		}
		if _, err := s.PairStand(ctx, "qrs-0001", "123456", f.store.ID, t0.Add(10*time.Minute)); !errors.Is(err, storage.ErrPairCode) {
			t.Errorf("expired code: %v", err)
		}
		st, err := s.PairStand(ctx, "qrs-0001", "123456", f.store.ID, t0.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if st.StoreID != f.store.ID {
			t.Errorf("stand = %+v", st)
		}
		if _, err := s.PairStand(ctx, "qrs-0001", "123456", f.store.ID, t0.Add(time.Minute)); !errors.Is(err, storage.ErrPairCode) {
			t.Errorf("code reused: %v", err)
		}
		list, _ := s.StandsByStore(ctx, f.store.ID)
		if len(list) != 1 {
			t.Errorf("stands = %+v", list)
		}
	})
}

func TestSessions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *storage.Storage) {
		ctx := context.Background()
		tok, err := s.CreateSession(ctx, storage.SessionWeChat, "oA", time.Hour, t0)
		if err != nil {
			t.Fatal(err)
		}
		if sub, err := s.SessionSubject(ctx, storage.SessionWeChat, tok, t0.Add(59*time.Minute)); err != nil || sub != "oA" {
			t.Errorf("live session = %q, %v", sub, err)
		}
		if _, err := s.SessionSubject(ctx, storage.SessionConsole, tok, t0); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("wrong kind: %v", err)
		}
		if _, err := s.SessionSubject(ctx, storage.SessionWeChat, tok, t0.Add(time.Hour)); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("expired: %v", err)
		}
		if n, _ := s.DeleteExpiredSessions(ctx, t0.Add(2*time.Hour)); n != 1 {
			t.Errorf("expired sessions deleted = %d", n)
		}
	})
}

// Two scans of one code at the same moment: exactly one becomes the admin.
func TestActivateRace(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *storage.Storage) {
		f := setup(t, s)
		ctx := context.Background()
		const n = 8
		errs := make(chan error, n)
		for i := 0; i < n; i++ {
			go func(i int) {
				_, err := s.Activate(ctx, f.code.Token, model.RoleAdmin, f.merchant.ID, "o"+strings.Repeat("x", i+1), false, t0)
				errs <- err
			}(i)
		}
		won := 0
		for i := 0; i < n; i++ {
			err := <-errs
			switch {
			case err == nil:
				won++
			case errors.Is(err, storage.ErrCodeUsed):
			default:
				t.Errorf("racing activation: %v", err)
			}
		}
		if won != 1 {
			t.Fatalf("%d activations won, want exactly 1", won)
		}
	})
}

// Clerks clocking in at the same moment all go on duty; the same clerk
// tapping twice at once gets one shift.
func TestClockInRace(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *storage.Storage) {
		f := setup(t, s)
		ctx := context.Background()
		const n = 4
		var ids []string
		for i := 0; i < n; i++ {
			st, c, err := s.AddStaff(ctx, storage.StaffInput{MerchantID: f.merchant.ID, StoreID: f.store.ID, Role: model.RoleClerk, Name: "c"}, ttl, t0)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Activate(ctx, c.Token, model.RoleClerk, f.store.ID, "o"+strings.Repeat("c", i+1), false, t0); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, st.ID)
		}
		errs := make(chan error, 2*n)
		for _, id := range ids {
			for range 2 {
				go func(id string) {
					_, _, err := s.ClockIn(ctx, f.store.ID, id, t0.Add(time.Hour))
					errs <- err
				}(id)
			}
		}
		for i := 0; i < 2*n; i++ {
			if err := <-errs; err != nil {
				t.Errorf("racing clock-in: %v", err)
			}
		}
		duty, err := s.OnDuty(ctx, f.store.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(duty) != n {
			t.Fatalf("%d on duty, want %d: %+v", len(duty), n, duty)
		}
	})
}
