package ui

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/storage"
)

// The store code routes by role: everyone gets the pay page; a clerk also
// gets clock in/out, a manager or admin the store page.
func TestStoreLandingRoutesByRole(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	now := e.clock.Now()
	p, _ := e.st.CreateProvider(ctx, "P", "1", "wx", model.ProviderSecrets{}, now)
	m, _, _, _ := e.st.CreateMerchant(ctx, p.ID, storage.MerchantInput{Name: "M", SubMchID: "19000001", AdminName: "a"}, time.Hour, now)
	s, _, _, _ := e.st.CreateStore(ctx, m.ID, storage.StoreInput{Name: "一号店"}, time.Hour, now)
	other, _, _, _ := e.st.CreateStore(ctx, m.ID, storage.StoreInput{Name: "二号店"}, time.Hour, now)
	e.staff(storage.StaffInput{MerchantID: m.ID, StoreID: s.ID, Role: model.RoleClerk, Name: "c"}, "o-clerk")
	e.staff(storage.StaffInput{MerchantID: m.ID, StoreID: s.ID, Role: model.RoleManager, Name: "m"}, "o-mgr")
	e.staff(storage.StaffInput{MerchantID: m.ID, StoreID: other.ID, Role: model.RoleClerk, Name: "c2"}, "o-clerk2")
	e.staff(storage.StaffInput{MerchantID: m.ID, Role: model.RoleAdmin, Name: "a2"}, "o-admin")
	for _, tc := range []struct {
		who            string
		openid         string
		clerk, manager bool
	}{
		{"customer", "o-customer", false, false},
		{"clerk", "o-clerk", true, false},
		{"manager", "o-mgr", false, true},
		{"admin", "o-admin", false, true},
		{"clerk of another store", "o-clerk2", false, false},
	} {
		t.Run(tc.who, func(t *testing.T) {
			w := e.do(e.wechatLogin(tc.who, tc.openid), "GET", "/s/"+s.CodeToken, nil)
			body := w.Body.String()
			if w.Code != http.StatusOK || !strings.Contains(body, `id="pay-store"`) || !strings.Contains(body, "一号店") {
				t.Fatalf("status %d\n%s", w.Code, body)
			}
			if got := strings.Contains(body, `href="/clerk/`+s.ID+`"`); got != tc.clerk {
				t.Errorf("clerk link shown = %v, want %v", got, tc.clerk)
			}
			if got := strings.Contains(body, `href="/store/`+s.ID+`"`); got != tc.manager {
				t.Errorf("store link shown = %v, want %v", got, tc.manager)
			}
		})
	}
	// Unknown codes: the one not-found page.
	if w := e.do(e.wechatLogin("x", "o-customer"), "GET", "/s/nosuchcode", nil); w.Code != http.StatusNotFound {
		t.Errorf("unknown store code: %d", w.Code)
	}
}

func TestPlateLanding(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	now := e.clock.Now()
	p, _ := e.st.CreateProvider(ctx, "P", "1", "wx", model.ProviderSecrets{}, now)
	m, _, _, _ := e.st.CreateMerchant(ctx, p.ID, storage.MerchantInput{Name: "M", SubMchID: "19000001", AdminName: "a"}, time.Hour, now)
	s, _, _, _ := e.st.CreateStore(ctx, m.ID, storage.StoreInput{Name: "一号店"}, time.Hour, now)
	e.staff(storage.StaffInput{MerchantID: m.ID, StoreID: s.ID, Role: model.RoleManager, Name: "m"}, "o-mgr")
	plates, _ := e.st.CreatePlates(ctx, p.ID, 1, now)
	path := "/p/" + plates[0].Token
	customer, mgr := e.wechatLogin("c", "o-customer"), e.wechatLogin("m", "o-mgr")
	if w := e.do(customer, "GET", path, nil); w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), "这个收款码还没有启用。") {
		t.Fatalf("unbound plate, customer: %d\n%s", w.Code, w.Body.String())
	}
	if w := e.do(mgr, "GET", path, nil); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "一号店") {
		t.Fatalf("unbound plate, manager: %d", w.Code)
	}
	if w := e.do(mgr, "POST", path, url.Values{"store": {s.ID}}); w.Code != http.StatusSeeOther {
		t.Fatalf("bind: %d\n%s", w.Code, w.Body.String())
	}
	if w := e.do(customer, "GET", path, nil); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `id="pay-store"`) {
		t.Fatalf("bound plate, customer: %d", w.Code)
	}
	if w := e.do(mgr, "POST", path, url.Values{"store": {s.ID}}); w.Code != http.StatusConflict {
		t.Fatalf("second bind: %d", w.Code)
	}
}

// Provider secrets go in but never come back out to the browser.
func TestProviderSettingsNeverEchoSecrets(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	p, _ := e.st.CreateProvider(ctx, "P", "1", "wx", model.ProviderSecrets{}, e.clock.Now())
	hash, _ := HashPassword("password123")
	u, _ := e.st.CreateConsoleUser(ctx, "prov", hash, model.ConsoleProvider, p.ID, e.clock.Now())
	login := e.consoleLogin(u)
	w := e.do(login, "POST", "/console/settings", url.Values{"sp_mchid": {"1900000001"}, "sp_appid": {"wxabc"}, "app_secret": {"APPSECRET-123"}, "apiv3_key": {"APIV3-KEY-456"}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", w.Code, w.Body.String())
	}
	w = e.do(login, "GET", "/console/settings", nil)
	if strings.Contains(w.Body.String(), "APPSECRET-123") || strings.Contains(w.Body.String(), "APIV3-KEY-456") {
		t.Fatal("settings page shows a secret")
	}
	sec, err := e.st.ProviderSecrets(ctx, p.ID)
	if err != nil || sec.AppSecret != "APPSECRET-123" || sec.APIv3Key != "APIV3-KEY-456" {
		t.Fatalf("stored secrets = %+v, %v", sec, err)
	}
	// An empty field keeps the stored value.
	e.do(login, "POST", "/console/settings", url.Values{"sp_mchid": {"1900000001"}, "sp_appid": {"wxabc"}})
	if sec, _ := e.st.ProviderSecrets(ctx, p.ID); sec.AppSecret != "APPSECRET-123" {
		t.Fatalf("empty field erased the secret: %+v", sec)
	}
}
