package ui

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/storage"
)

// Reports: managers and admins of the store, and the provider owning the
// merchant, see them; clerks, other stores' managers and other providers
// get 404.
func TestReportAccess(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	now := e.clock.Now()
	p, _ := e.st.CreateProvider(ctx, "P", "1900000001", "wx", model.ProviderSecrets{}, now)
	other, _ := e.st.CreateProvider(ctx, "Q", "1900000002", "wx", model.ProviderSecrets{}, now)
	m, _, _, err := e.st.CreateMerchant(ctx, p.ID, storage.MerchantInput{Name: "面馆", SubMchID: "19000001", AdminName: "a"}, time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	st, _, _, _ := e.st.CreateStore(ctx, m.ID, storage.StoreInput{Name: "一号店"}, time.Hour, now)
	st2, _, _, _ := e.st.CreateStore(ctx, m.ID, storage.StoreInput{Name: "二号店"}, time.Hour, now)
	e.staff(storage.StaffInput{MerchantID: m.ID, Role: model.RoleAdmin, Name: "admin"}, "o-admin")
	e.staff(storage.StaffInput{MerchantID: m.ID, StoreID: st.ID, Role: model.RoleManager, Name: "mgr"}, "o-mgr")
	e.staff(storage.StaffInput{MerchantID: m.ID, StoreID: st2.ID, Role: model.RoleManager, Name: "mgr2"}, "o-mgr2")
	e.staff(storage.StaffInput{MerchantID: m.ID, StoreID: st.ID, Role: model.RoleClerk, Name: "clerk"}, "o-clerk")
	hash, _ := HashPassword("x")
	pu, _ := e.st.CreateConsoleUser(ctx, "p", hash, model.ConsoleProvider, p.ID, now)
	qu, _ := e.st.CreateConsoleUser(ctx, "q", hash, model.ConsoleProvider, other.ID, now)

	// One paid order of 12.50 today, refunded 2.50.
	o := model.Order{OutTradeNo: "QTEST0000000001", StoreID: st.ID, MerchantID: m.ID, ProviderID: p.ID, SpMchID: "1900000001", SubMchID: "19000001",
		AmountFen: 1250, State: model.OrderNotPay, CreatedAt: now, TimeExpire: now.Add(10 * time.Minute)}
	if err := e.st.CreateOrder(ctx, o); err != nil {
		t.Fatal(err)
	}
	none := func(model.Order) (storage.Envelopes, error) { return storage.Envelopes{}, nil }
	if _, _, err := e.st.MarkPaid(ctx, storage.Paid{OutTradeNo: o.OutTradeNo, TransactionID: "42", PaidAt: now, Via: "notify"}, now, none); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.st.BeginRefund(ctx, model.Refund{OutRefundNo: "R1", OutTradeNo: o.OutTradeNo, AmountFen: 250, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.st.MarkRefunded(ctx, "R1", "r", now, now, func(model.Order, model.Refund) (storage.Envelopes, error) { return storage.Envelopes{}, nil }); err != nil {
		t.Fatal(err)
	}

	path := "/store/" + st.ID + "/report"
	console := "/console/stores/" + st.ID + "/report"
	for _, tc := range []struct {
		name string
		who  principal
		path string
		want int
	}{
		{"admin", e.wechatLogin("admin", "o-admin"), path, 200},
		{"manager", e.wechatLogin("mgr", "o-mgr"), path, 200},
		{"other store's manager", e.wechatLogin("mgr2", "o-mgr2"), path, 404},
		{"clerk", e.wechatLogin("clerk", "o-clerk"), path, 404},
		{"owning provider", e.consoleLogin(pu), console, 200},
		{"other provider", e.consoleLogin(qu), console, 404},
		{"manager on the console path", e.wechatLogin("mgr", "o-mgr"), console, 303},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := e.do(tc.who, http.MethodGet, tc.path, nil)
			if w.Code != tc.want {
				t.Fatalf("%s %s = %d, want %d", tc.name, tc.path, w.Code, tc.want)
			}
			if tc.want == 200 && !strings.Contains(w.Body.String(), "10.00") {
				t.Errorf("net 10.00 not on the page:\n%s", w.Body.String())
			}
		})
	}
	w := e.do(e.wechatLogin("mgr", "o-mgr"), http.MethodGet, path+"?by=code&format=csv&from=2026-11-25&to=2026-11-25", nil)
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	want := "\ufeffcode,笔数,交易(元),退款笔数,退款(元),实收(元)\n门店码,1,12.50,1,2.50,10.00\n合计,1,12.50,1,2.50,10.00\n"
	if got := w.Body.String(); got != want {
		t.Errorf("csv = %q, want %q", got, want)
	}
	if w := e.do(e.wechatLogin("mgr", "o-mgr"), http.MethodGet, path+"?by=week", nil); w.Code != 400 {
		t.Errorf("bad grouping: %d", w.Code)
	}
}
