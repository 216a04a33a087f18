package ui

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
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

// Provider secrets go in but never come back out to the browser; the
// account is checked field by field before anything is saved.
func TestProviderSettingsNeverEchoSecrets(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	p, _ := e.st.CreateProvider(ctx, "P", "", "", model.ProviderSecrets{}, e.clock.Now())
	hash, _ := HashPassword("password123")
	u, _ := e.st.CreateConsoleUser(ctx, "prov", hash, model.ConsoleProvider, p.ID, e.clock.Now())
	login := e.consoleLogin(u)
	mk, _ := rsa.GenerateKey(rand.Reader, 2048)
	der, _ := x509.MarshalPKCS8PrivateKey(mk)
	keyPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	pubDER, _ := x509.MarshalPKIXPublicKey(&mk.PublicKey)
	pubPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))
	const appSecret, apiv3 = "APPSECRET0123456789abcdef0123456", "APIV3KEY0123456789abcdef01234567"
	good := url.Values{"sp_mchid": {"1900000001"}, "sp_appid": {"wx0123456789abcdef"}, "app_secret": {appSecret}, "apiv3_key": {apiv3},
		"cert_serial": {"5157F09EFDC096DE15EBE81A47057A7232F1B8E1"}, "private_key_pem": {keyPEM}, "platform_public_key_pem": {pubPEM},
		"platform_public_key_id": {"PUB_KEY_ID_0119000000012026112700000000000001"}}
	with := func(k, v string) url.Values {
		f := url.Values{}
		for kk, vv := range good {
			f[kk] = vv
		}
		f.Set(k, v)
		return f
	}
	for _, tc := range []struct {
		field, value string
	}{
		{"sp_mchid", "19x"},
		{"sp_appid", "wxabc"},
		{"app_secret", "short"},
		{"apiv3_key", "not-32-bytes"},
		{"cert_serial", "not hex!"},
		{"private_key_pem", "-----BEGIN PRIVATE KEY-----\ngarbage\n-----END PRIVATE KEY-----"},
		{"private_key_pem", pubPEM},
		{"platform_public_key_pem", keyPEM},
		{"platform_public_key_id", "KEY_1"},
		{"platform_public_key_pem", ""},
		{"app_secret", ""}, // a pay account needs the official account customers log in through
	} {
		w := e.do(login, "POST", "/console/settings", with(tc.field, tc.value))
		body := w.Body.String()
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(body, `id="err-`+tc.field+`"`) {
			t.Errorf("%s=%.20q: %d, want 422 with the field's message", tc.field, tc.value, w.Code)
		}
		if strings.Contains(body, appSecret) || strings.Contains(body, apiv3) || strings.Contains(body, keyPEM[40:100]) {
			t.Errorf("%s: refused form echoes a secret", tc.field)
		}
		if !strings.Contains(body, `value="1900000001"`) && tc.field != "sp_mchid" {
			t.Errorf("%s: refused form lost the sp_mchid", tc.field)
		}
		if sec, _ := e.st.ProviderSecrets(ctx, p.ID); sec != (model.ProviderSecrets{}) {
			t.Fatalf("%s: a refused form saved %+v", tc.field, sec)
		}
	}
	w := e.do(login, "POST", "/console/settings", good)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", w.Code, w.Body.String())
	}
	w = e.do(login, "GET", "/console/settings", nil)
	if strings.Contains(w.Body.String(), appSecret) || strings.Contains(w.Body.String(), apiv3) || strings.Contains(w.Body.String(), keyPEM[40:100]) {
		t.Fatal("settings page shows a secret")
	}
	if !strings.Contains(w.Body.String(), "/wxpay/notify/"+p.ID) {
		t.Error("settings page lacks the provider's notify URL")
	}
	sec, err := e.st.ProviderSecrets(ctx, p.ID)
	if err != nil || sec.AppSecret != appSecret || sec.APIv3Key != apiv3 || !sec.HasPayAccount() {
		t.Fatalf("stored secrets = %+v, %v", sec, err)
	}
	// Empty secret fields keep the stored values.
	keep := with("app_secret", "")
	keep.Del("apiv3_key")
	keep.Del("private_key_pem")
	if w := e.do(login, "POST", "/console/settings", keep); w.Code != http.StatusSeeOther {
		t.Fatalf("save without secrets: %d", w.Code)
	}
	if sec, _ := e.st.ProviderSecrets(ctx, p.ID); sec.AppSecret != appSecret || sec.PrivateKeyPEM != strings.TrimSpace(keyPEM) {
		t.Fatalf("empty field erased the secret: %+v", sec)
	}
}
