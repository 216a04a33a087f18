package server

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/mqtttest"
)

// TestBrowserPayment: a customer scans the store code in headless Chromium,
// passes sandbox OAuth, types 12.50 on the keypad, confirms on the WeChat
// Pay simulator's page and lands on the result page; the order is paid in
// the database and a stand of the store, connected over MQTT, receives
// payment.paid and acks it, which marks the outbox row delivered.
func TestBrowserPayment(t *testing.T) {
	w := newWalk(t, 90*time.Second)
	ts, run := w.ts, w.run
	spec := demoShop
	spec.Login, spec.Store = "", "老王面馆 一号店"
	sh := newShop(t, ts, spec)
	st, ctx := ts.Storage(), context.Background()
	m, store := sh.merchant, sh.store
	if err := st.SetMarketing(ctx, m.ID, model.Marketing{CouponText: "下次消费满 30 减 5", ReviewURL: ts.base + "/"}); err != nil {
		t.Fatal(err)
	}
	stand := pairedStand(t, ts, store.ID) // paired and online

	var amount, badMsg, resultURL, coupon string
	run("phone", phoneView)
	w.wechatAs("顾客甲", ts.base+"/s/"+store.CodeToken, "#pay-form")
	run("the pay page is verified", chromedp.WaitVisible(chromedp.CSS("#verified")))
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
	mqtttest.WaitFor(t, "the outbox row delivered", func() bool {
		rows, err := st.OutboxByRef(ctx, no)
		return err == nil && len(rows) == 1 && rows[0].State == model.OutboxDelivered
	})
}
