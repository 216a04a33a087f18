package server

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/storage"
	"github.com/qrstand/qrstand/mqtt/mqtttest"
)

// TestBrowserProviderOwnAccount: a service provider gets a partner account
// from the sandbox (/sim/accounts) and enters it in the console — a bad key and a bad PUB_KEY_ID are
// refused field by field, the ids kept — then the whole account; a
// customer pays at one of its stores, and the simulator, playing WeChat Pay
// for that provider with that provider's keys (its merchant public key,
// its APIv3 key, its own platform key), takes the order under the
// provider's sp_mchid and sends the notify to the provider's notify URL,
// which verifies it with the platform public key the provider entered; the
// clerk on duty gets the payment message from the provider's own official
// account.
func TestBrowserProviderOwnAccount(t *testing.T) {
	w := newWalk(t, 120*time.Second)
	ts, run := w.ts, w.run
	st := ts.Storage()
	ctx := context.Background()
	now := time.Now()
	sh := newShop(t, ts, shopSpec{Provider: "自有账户服务商", Login: "own", Password: "provider-pass-2",
		Merchant: "阿珍糖水", SubMchID: "1900000321", Admin: "阿珍", Store: "阿珍糖水 夜市店"})
	p, m, store := sh.provider, sh.merchant, sh.store

	clerk, code, err := st.AddStaff(ctx, storage.StaffInput{MerchantID: m.ID, StoreID: store.ID, Role: model.RoleClerk, Name: "阿强"}, time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	if clerk, err = st.Activate(ctx, code.Token, model.RoleClerk, store.ID, "o-own-clerk-000000001", true, now); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.ClockIn(ctx, store.ID, clerk.ID, now); err != nil {
		t.Fatal(err)
	}

	// What WeChat Pay would issue the provider, issued by the simulator's
	// /sim/accounts page (the sandbox path the docs describe).
	var mchID, serial, apiv3, pubKeyID, appID, secret, keyPEM, pubPEM string
	value := func(sel string, dst *string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			v, err := chromedp.Value(chromedp.CSS(sel))(ctx, tg)
			*dst = v
			return err
		})
	}
	run("the simulator issues a partner account",
		desktopView,
		chromedp.Navigate(ts.base+"/sim/accounts"),
		chromedp.Click(chromedp.CSS("#issue-account")),
		chromedp.WaitVisible(chromedp.CSS(".v-mchid")),
		textInto(".v-mchid", &mchID), textInto(".v-serial", &serial), textInto(".v-apiv3", &apiv3),
		textInto(".v-pubid", &pubKeyID), textInto(".v-appid", &appID), textInto(".v-appsecret", &secret),
		value(".v-key", &keyPEM), value(".v-pub", &pubPEM),
	)
	if len(ts.WeChatPaySim().Accounts()) != 1 || !strings.Contains(keyPEM, "PRIVATE KEY") || !strings.HasPrefix(pubKeyID, "PUB_KEY_ID_") {
		t.Fatalf("issued account: %s %s %.40q", mchID, pubKeyID, keyPEM)
	}
	fill := func(key, pubKeyPEM, keyID string) chromedp.Action[chromedp.Void] {
		return chromedp.Steps(
			chromedp.SetValue(chromedp.CSS("#sp_appid"), appID),
			chromedp.SetValue(chromedp.CSS("#app_secret"), secret),
			chromedp.SetValue(chromedp.CSS("#sp_mchid"), mchID),
			chromedp.SetValue(chromedp.CSS("#cert_serial"), serial),
			chromedp.SetValue(chromedp.CSS("#private_key_pem"), key),
			chromedp.SetValue(chromedp.CSS("#apiv3_key"), apiv3),
			chromedp.SetValue(chromedp.CSS("#platform_public_key_pem"), pubKeyPEM),
			chromedp.SetValue(chromedp.CSS("#platform_public_key_id"), keyID),
			chromedp.Click(chromedp.CSS("#settings-save")),
		)
	}
	var keyErr, idErr, keptMch, state, notifyURL string
	w.consoleLogin("own", "provider-pass-2", "#add-merchant")
	run("a bad key and id are refused, field by field",
		chromedp.Navigate(ts.base+"/console/settings"),
		chromedp.WaitVisible(chromedp.CSS("#provider-settings")),
		fill("not a key", pubPEM, "KEY_777"),
		chromedp.WaitVisible(chromedp.CSS("#settings-error")),
		textInto("#err-private_key_pem", &keyErr),
		textInto("#err-platform_public_key_id", &idErr),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			v, err := chromedp.Value(chromedp.CSS("#sp_mchid"))(ctx, tg)
			keptMch = v
			return err
		}),
	)
	if !strings.Contains(keyErr, "私钥") || !strings.Contains(idErr, "PUB_KEY_ID_") || keptMch != mchID {
		t.Errorf("field errors: key %q, id %q; sp_mchid kept %q", keyErr, idErr, keptMch)
	}
	if sec, _ := st.ProviderSecrets(ctx, p.ID); sec.APIv3Key != "" {
		t.Fatalf("a refused form saved something: %+v", sec)
	}
	run("the whole account is saved",
		fill(keyPEM, pubPEM, pubKeyID),
		chromedp.WaitVisible(chromedp.CSS("#settings-saved")),
		textInto("#pay-account-state", &state),
		textInto("#notify-url", &notifyURL),
	)
	if !strings.Contains(state, "已启用") || notifyURL != ts.base+"/wxpay/notify/"+p.ID {
		t.Errorf("account state %q, notify URL %q", state, notifyURL)
	}
	var raw string
	if err := st.DB().QueryRowContext(ctx, "SELECT secrets_sealed FROM providers WHERE id = '"+p.ID+"'").Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(raw, "PRIVATE KEY") || strings.Contains(raw, apiv3) || strings.Contains(raw, secret) {
		t.Fatal("provider secrets stored in the clear")
	}

	// A customer pays at the provider's store.
	var resultURL string
	run("phone", phoneView)
	w.wechatAs("顾客丙", ts.base+"/s/"+store.CodeToken, "#pay-form")
	run("a customer pays through the provider's account",
		chromedp.SendKeys(chromedp.CSS("#amount"), "6.60"),
		chromedp.Click(chromedp.CSS("#pay-submit")),
		chromedp.WaitVisible(chromedp.CSS("button.pay")),
		chromedp.Click(chromedp.CSS("button.pay")),
		chromedp.WaitVisible(chromedp.CSS("#result-paid")),
		locationInto(&resultURL),
	)
	no := strings.TrimPrefix(resultURL, ts.base+"/o/")
	no, _, _ = strings.Cut(no, "?")
	o, err := st.Order(ctx, no)
	if err != nil || !o.Paid() || o.SpMchID != mchID || o.AmountFen != 660 {
		t.Fatalf("order %+v %v: want paid under sp_mchid %s", o, err, mchID)
	}
	// The notify went to the provider's URL, signed with the provider's
	// platform key and encrypted with its APIv3 key, and was accepted.
	mqtttest.WaitFor(t, "an accepted notify to the provider's URL", func() bool {
		for _, d := range ts.WeChatPaySim().Deliveries() {
			if d.OutTradeNo == no && d.Acked() && d.URL == ts.base+"/wxpay/notify/"+p.ID {
				return true
			}
		}
		return false
	})
	// The clerk on duty is messaged through the provider's own official
	// account (its AppID and AppSecret), not the deployment's.
	var from []string
	mqtttest.WaitFor(t, "the payment message to the clerk", func() bool {
		from = nil
		for _, msg := range ts.WeChatPaySim().Messages() {
			if msg.ToUser == clerk.OpenID && strings.HasSuffix(msg.URL, "/o/"+no) {
				from = append(from, msg.AppID)
			}
		}
		return len(from) > 0
	})
	if len(from) != 1 || from[0] != appID {
		t.Fatalf("payment message to the clerk sent by %v, want once by %s", from, appID)
	}
}
