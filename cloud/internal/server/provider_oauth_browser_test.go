package server

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/storage"
	"github.com/qrstand/qrstand/cloud/internal/ui"
)

// TestBrowserProviderOAuth: a service provider enters its own official
// account and WeChat Pay partner account in the console; from then on the
// people in its stores log in through its official account. Its clerk
// activates and clocks in after WeChat OAuth under the provider's AppID
// (the simulator's authorize page names that AppID, and the clerk's role
// is held by the openid of that AppID); a customer scanning the store code
// logs in the same way and pays, and WeChat Pay's simulator takes the order
// with sp_appid = the provider's AppID and the payer's openid of that
// AppID; the clerk's payment message comes from that AppID to that openid.
func TestBrowserProviderOAuth(t *testing.T) {
	bin := chromium(t)
	if testing.Short() {
		t.Skip("browser walk skipped in -short mode")
	}
	ts := startServer(t)
	st := ts.Storage()
	ctx := context.Background()
	now := time.Now()
	p, err := st.CreateProvider(ctx, "公众号服务商", "", "", model.ProviderSecrets{}, now)
	if err != nil {
		t.Fatal(err)
	}
	hash, _ := ui.HashPassword("provider-pass-3")
	if _, err := st.CreateConsoleUser(ctx, "oa", hash, model.ConsoleProvider, p.ID, now); err != nil {
		t.Fatal(err)
	}
	m, _, _, err := st.CreateMerchant(ctx, p.ID, storage.MerchantInput{Name: "小周烧饼", SubMchID: "1900000654", AdminName: "周老板"}, time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	store, _, _, err := st.CreateStore(ctx, m.ID, storage.StoreInput{Name: "小周烧饼 南门店"}, time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	clerk, code, err := st.AddStaff(ctx, storage.StaffInput{MerchantID: m.ID, StoreID: store.ID, Role: model.RoleClerk, Name: "小周"}, time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	// What WeChat would give the provider: a partner account and its
	// official account (the /sim/accounts page's button does the same).
	acct, err := ts.WeChatPaySim().IssueAccount()
	if err != nil {
		t.Fatal(err)
	}
	sim := ts.Sim()
	if acct.AppID == sim.AppID {
		t.Fatal("the issued official account is the deployment's")
	}

	bctx0 := headlessChromium(t, ctx, bin)
	if err := chromedp.Do(bctx0); err != nil {
		t.Fatal(err)
	}
	bctx, cancel := context.WithTimeout(bctx0, 150*time.Second)
	defer cancel()
	run := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(bctx, actions...); err != nil {
			loc, _ := chromedp.Run(bctx, chromedp.Location())
			t.Fatalf("%s: %v (at %s)", step, err, loc)
		}
	}
	var state string
	run("the provider enters its official account and partner account",
		chromedp.EmulateViewport(1200, 900),
		chromedp.Navigate(ts.base+"/console/login"),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), "oa"),
		chromedp.SendKeys(chromedp.CSS("#password"), "provider-pass-3"),
		chromedp.Click(chromedp.CSS("#login")),
		chromedp.WaitVisible(chromedp.CSS("#add-merchant")),
		chromedp.Navigate(ts.base+"/console/settings"),
		chromedp.WaitVisible(chromedp.CSS("#provider-settings")),
		chromedp.SetValue(chromedp.CSS("#sp_appid"), acct.AppID),
		chromedp.SetValue(chromedp.CSS("#app_secret"), acct.AppSecret),
		chromedp.SetValue(chromedp.CSS("#sp_mchid"), acct.MchID),
		chromedp.SetValue(chromedp.CSS("#cert_serial"), acct.Serial),
		chromedp.SetValue(chromedp.CSS("#private_key_pem"), acct.MerchantKeyPEM),
		chromedp.SetValue(chromedp.CSS("#apiv3_key"), acct.APIv3Key),
		chromedp.SetValue(chromedp.CSS("#platform_public_key_pem"), acct.PlatformPublicKeyPEM),
		chromedp.SetValue(chromedp.CSS("#platform_public_key_id"), acct.PlatformKeyID),
		chromedp.Click(chromedp.CSS("#settings-save")),
		chromedp.WaitVisible(chromedp.CSS("#settings-saved")),
		textInto("#pay-account-state", &state),
	)
	if !strings.Contains(state, "已启用") {
		t.Fatalf("account state %q", state)
	}

	// loginAs opens url on a phone with no WeChat session, checks that
	// WeChat's authorize page is the provider's official account's, and
	// authorizes as nickname.
	loginAs := func(nickname, url, waitFor string) {
		t.Helper()
		var appID string
		run("open "+url+" as "+nickname,
			phoneView, clearCookies,
			chromedp.Navigate(url),
			chromedp.WaitVisible(chromedp.CSS("#nickname")),
			textInto("#appid", &appID),
			chromedp.SendKeys(chromedp.CSS("#nickname"), nickname),
			chromedp.Click(chromedp.CSS("#authorize")),
			chromedp.WaitVisible(chromedp.CSS(waitFor)),
		)
		if appID != acct.AppID {
			t.Fatalf("%s authorized at official account %q, want the provider's %q", nickname, appID, acct.AppID)
		}
	}

	// The clerk activates: the role goes to the openid under the
	// provider's AppID, not the deployment's.
	loginAs("小周", ts.base+"/activate/clerk/"+store.ID+"/"+code.Token, "#activate")
	run("小周 activates", chromedp.Click(chromedp.CSS("#activate")), chromedp.WaitNotPresent(chromedp.CSS("#activate")))
	if clerk, err = st.Staff(ctx, clerk.ID); err != nil {
		t.Fatal(err)
	}
	clerkOpenID := sim.OpenIDUnder(acct.AppID, "小周")
	if clerk.AppID != acct.AppID || clerk.OpenID != clerkOpenID || clerkOpenID == sim.OpenID("小周") {
		t.Fatalf("clerk activated as (%q, %q), want (%q, %q)", clerk.AppID, clerk.OpenID, acct.AppID, clerkOpenID)
	}

	// The clerk scans the store code and clocks in.
	loginAs("小周", ts.base+"/s/"+store.CodeToken, "#to-clerk")
	run("小周 clocks in",
		chromedp.Click(chromedp.CSS("#to-clerk")),
		chromedp.WaitVisible(chromedp.CSS("#clock-in")),
		chromedp.Click(chromedp.CSS("#clock-in")),
		chromedp.WaitVisible(chromedp.CSS("#clock-out")),
	)
	if _, err := st.OpenShiftOf(ctx, store.ID, clerk.ID); err != nil {
		t.Fatalf("小周 not on duty: %v", err)
	}

	// A customer scans the store code and pays.
	var resultURL string
	loginAs("顾客丁", ts.base+"/s/"+store.CodeToken, "#pay-form")
	run("the customer pays 9.90",
		chromedp.SendKeys(chromedp.CSS("#amount"), "9.90"),
		chromedp.Click(chromedp.CSS("#pay-submit")),
		chromedp.WaitVisible(chromedp.CSS("button.pay")),
		chromedp.Click(chromedp.CSS("button.pay")),
		chromedp.WaitVisible(chromedp.CSS("#result-paid")),
		locationInto(&resultURL),
	)
	no := strings.TrimPrefix(resultURL, ts.base+"/o/")
	no, _, _ = strings.Cut(no, "?")
	payer := sim.OpenIDUnder(acct.AppID, "顾客丁")
	o, err := st.Order(ctx, no)
	if err != nil || !o.Paid() || o.SpMchID != acct.MchID || o.PayerOpenID != payer {
		t.Fatalf("order %+v %v: want paid under sp_mchid %s by %s", o, err, acct.MchID, payer)
	}
	wo, ok := ts.WeChatPaySim().Order(acct.MchID, no)
	if !ok || wo.SpAppID != acct.AppID || wo.SpOpenID != payer || wo.State != "SUCCESS" {
		t.Fatalf("WeChat Pay saw %+v (%v); want sp_appid %s, sp_openid %s, SUCCESS", wo, ok, acct.AppID, payer)
	}
	if app, known := sim.IssuedUnder(payer); !known || app != acct.AppID {
		t.Fatalf("the payer's openid was issued under %q (%v), want %q", app, known, acct.AppID)
	}

	// The clerk on duty is messaged from the provider's AppID at the
	// openid of that AppID.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var to []string
		for _, msg := range ts.WeChatPaySim().Messages() {
			if strings.HasSuffix(msg.URL, "/o/"+no) {
				to = append(to, msg.AppID+" "+msg.ToUser)
			}
		}
		if len(to) == 1 && to[0] == acct.AppID+" "+clerkOpenID {
			break
		}
		if len(to) > 0 || time.Now().After(deadline) {
			t.Fatalf("payment messages %v, want one from %s to %s", to, acct.AppID, clerkOpenID)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
