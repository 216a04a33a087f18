package ui

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/storage"
)

// TestFleetConsole: a provider registers a stand and gets a provisioning
// file whose secret works (and is stored only as a hash); the list shows
// its own stands only, and its store filter never names another
// provider's stores; re-key issues a new secret and refuses the old one.
func TestFleetConsole(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	now := e.clock.Now()
	hash, _ := HashPassword("password123")
	mk := func(name, store string) (model.ConsoleUser, model.Merchant) {
		p, _ := e.st.CreateProvider(ctx, name, "1", "wx", model.ProviderSecrets{}, now)
		u, err := e.st.CreateConsoleUser(ctx, "u-"+name, hash, model.ConsoleProvider, p.ID, now)
		if err != nil {
			t.Fatal(err)
		}
		m, _, _, err := e.st.CreateMerchant(ctx, p.ID, storage.MerchantInput{Name: "M-" + name, SubMchID: "19" + name, AdminName: "a"}, time.Hour, now)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := e.st.CreateStore(ctx, m.ID, storage.StoreInput{Name: store}, time.Hour, now); err != nil {
			t.Fatal(err)
		}
		return u, m
	}
	ua, _ := mk("0001", "甲店")
	_, mb := mk("0002", "乙店秘密")
	pa := e.consoleLogin(ua)

	w := e.do(pa, "POST", "/console/stands", nil)
	if w.Code != http.StatusOK {
		t.Fatalf("register: %d", w.Code)
	}
	file := regexp.MustCompile(`(?s)<pre id="provision"[^>]*>(.*?)</pre>`).FindStringSubmatch(w.Body.String())
	if file == nil {
		t.Fatal("no provisioning file on the page")
	}
	var prov provisionFile
	if err := json.Unmarshal([]byte(html.UnescapeString(file[1])), &prov); err != nil || prov.Secret == "" {
		t.Fatalf("provisioning file %q: %v", file[1], err)
	}
	if ok, err := e.st.VerifyStandSecret(ctx, prov.DeviceID, prov.Secret); err != nil || !ok {
		t.Fatalf("the file's secret does not verify: %v", err)
	}
	if f, _ := e.st.FleetStand(ctx, prov.DeviceID); !f.OwnedBy(ua.ProviderID) || strings.Contains(f.ProviderID, prov.Secret) {
		t.Errorf("registered stand %+v", f)
	}
	list := e.do(pa, "GET", "/console/stands?merchant="+mb.ID, nil).Body.String()
	if strings.Contains(list, "乙店秘密") {
		t.Error("the store filter names another provider's store")
	}
	if !strings.Contains(e.do(pa, "GET", "/console/stands", nil).Body.String(), prov.DeviceID) {
		t.Error("the list lacks the registered stand")
	}
	w = e.do(pa, "POST", "/console/stands/"+prov.DeviceID+"/rekey", nil)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "已更换密钥") {
		t.Fatalf("rekey: %d", w.Code)
	}
	if ok, _ := e.st.VerifyStandSecret(ctx, prov.DeviceID, prov.Secret); ok {
		t.Error("the old secret still verifies after re-key")
	}
	if e.do(pa, "POST", "/console/stands/"+prov.DeviceID+"/revoke", nil).Code != http.StatusSeeOther {
		t.Error("revoke did not redirect")
	}
	if !strings.Contains(e.do(pa, "GET", "/console/stands/"+prov.DeviceID, nil).Body.String(), "已停用") {
		t.Error("the stand page does not say revoked")
	}
}
