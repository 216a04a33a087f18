package server

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/storage"
	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/mqtttest"
)

// TestBrowserPayment: a customer scans the store code in headless Chromium,
// passes sandbox OAuth, types 12.50 on the keypad, confirms on the WeChat
// Pay simulator's page and lands on the result page; the order is paid in
// the database and a stand of the store, connected over MQTT, receives
// payment.paid and acks it, which marks the outbox row delivered.
func TestBrowserPayment(t *testing.T) {
	bin := chromium(t)
	if testing.Short() {
		t.Skip("browser walk skipped in -short mode")
	}
	ts := startServer(t)
	st := ts.Storage()
	ctx := context.Background()
	now := time.Now()
	p, err := st.CreateProvider(ctx, "演示服务商", SandboxSpMchID, "wxsandbox", model.ProviderSecrets{}, now)
	if err != nil {
		t.Fatal(err)
	}
	m, _, _, err := st.CreateMerchant(ctx, p.ID, storage.MerchantInput{Name: "老王面馆", SubMchID: "1900000109", AdminName: "王老板"}, time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	store, _, _, err := st.CreateStore(ctx, m.ID, storage.StoreInput{Name: "老王面馆 一号店"}, time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetMarketing(ctx, m.ID, model.Marketing{CouponText: "下次消费满 30 减 5", ReviewURL: ts.base + "/"}); err != nil {
		t.Fatal(err)
	}
	// A stand of the store, paired and online.
	const standID = "qrs-browser-01"
	secret := mqtt.NewSecret()
	if _, err := st.RegisterStand(ctx, standID, secret, now); err != nil {
		t.Fatal(err)
	}
	if err := st.SetPairCode(ctx, standID, "87654321", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.PairStand(ctx, standID, "87654321", store.ID, now); err != nil {
		t.Fatal(err)
	}
	stand := mqtttest.DialStand(t, "tcp://"+ts.mqttAddr, standID, secret)

	bctx0 := headlessChromium(t, ctx, bin)
	if err := chromedp.Do(bctx0); err != nil {
		t.Fatal(err)
	}
	bctx, tcancel := context.WithTimeout(bctx0, 90*time.Second)
	defer tcancel()
	run := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(bctx, actions...); err != nil {
			loc, _ := chromedp.Run(bctx, chromedp.Location())
			t.Fatalf("%s: %v (at %s)", step, err, loc)
		}
	}
	var amount, badMsg, resultURL, coupon string
	run("scan the store code and pass sandbox OAuth",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Navigate(ts.base+"/s/"+store.CodeToken),
		chromedp.WaitVisible(chromedp.CSS("#nickname")),
		chromedp.SendKeys(chromedp.CSS("#nickname"), "顾客甲"),
		chromedp.Click(chromedp.CSS("#authorize")),
		chromedp.WaitVisible(chromedp.CSS("#pay-form")),
		chromedp.WaitVisible(chromedp.CSS("#verified")),
	)
	run("a bad amount is refused with a message",
		chromedp.SendKeys(chromedp.CSS("#amount"), "0.001"),
		chromedp.Click(chromedp.CSS("#pay-submit")),
		chromedp.WaitVisible(chromedp.CSS("#amount-error")),
		textInto("#amount-error", &badMsg),
	)
	if badMsg == "" {
		t.Error("no message for 0.001")
	}
	run("enter 12.50 on the keypad and pay",
		chromedp.Clear(chromedp.CSS("#amount")),
		chromedp.Click(chromedp.CSS("#key-1")), chromedp.Click(chromedp.CSS("#key-2")), chromedp.Click(chromedp.CSS("#key-dot")),
		chromedp.Click(chromedp.CSS("#key-5")), chromedp.Click(chromedp.CSS("#key-0")),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			v, err := chromedp.Value(chromedp.CSS("#amount"))(ctx, tg)
			amount = v
			return err
		}),
		chromedp.Click(chromedp.CSS("#pay-submit")),
		chromedp.WaitVisible(chromedp.CSS("button.pay")),
	)
	if amount != "12.50" {
		t.Fatalf("keypad typed %q, want 12.50", amount)
	}
	run("confirm on the simulator's pay sheet",
		chromedp.Click(chromedp.CSS("button.pay")),
		chromedp.WaitVisible(chromedp.CSS("#result-paid")),
		locationInto(&resultURL),
		textInto("#coupon", &coupon),
	)
	if !strings.HasPrefix(resultURL, ts.base+"/o/") || !strings.Contains(coupon, "满 30 减 5") {
		t.Errorf("result page %s, coupon %q", resultURL, coupon)
	}
	no := strings.TrimPrefix(resultURL, ts.base+"/o/")
	no, _, _ = strings.Cut(no, "?")
	o, err := st.Order(ctx, no)
	if err != nil || !o.Paid() || o.AmountFen != 1250 {
		t.Fatalf("order %+v %v", o, err)
	}
	if b := stand.Next(mqtt.KindPaymentPaid).Body.(*mqtt.PaymentPaid); b.OrderNo != no || b.AmountFen != 1250 || b.StoreName != store.Name {
		t.Errorf("stand got %+v", b)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		rows, err := st.OutboxByRef(ctx, no)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) == 1 && rows[0].State == model.OutboxDelivered {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox rows %+v", rows)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
