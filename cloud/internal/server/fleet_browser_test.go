package server

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/payment"
	"github.com/qrstand/qrstand/cloud/internal/storage"
	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/biz"
	"github.com/qrstand/qrstand/mqtt/mqtttest"
)

// TestBrowserFleet walks the fleet in headless Chromium: the provider
// registers a stand in the console and a stand starts from the downloaded
// provisioning file; the manager pairs it; the console lists it online;
// paper out on the stand shows in the console and the manager, who opted
// in, gets a WeChat alert (captured by the simulator); the order page
// shows when the payment was announced and printed; the stand stops and
// the console lists it offline; a payment made meanwhile shows as not
// announced, then as announced in the catch-up summary once it is back.
func TestBrowserFleet(t *testing.T) {
	w := newWalk(t, 150*time.Second)
	ts, run := w.ts, w.run
	st := ts.Storage()
	ctx := context.Background()
	spec := demoShop
	spec.Manager = "李店长"
	sh := newShop(t, ts, spec)
	store := sh.store
	mgrOpenID := ts.Sim().OpenID("李店长")
	if _, err := st.Activate(ctx, sh.managerCode.Token, model.RoleManager, store.ID, mgrOpenID, false, time.Now()); err != nil {
		t.Fatal(err)
	}
	// The pages do not refresh themselves: each step waits for its fact in
	// the cloud's storage, then loads the page once, which must show it.
	pageShows := func(step, url, sel string, re *regexp.Regexp) {
		t.Helper()
		var got string
		run(step, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("body")), textInto(sel, &got))
		if !re.MatchString(got) {
			t.Fatalf("%s: %s on %s is %q, want %s", step, sel, url, got, re)
		}
	}
	var standID string // set once the console registered it
	health := func(what string, cond func(storage.StandHealth) bool) {
		t.Helper()
		mqtttest.WaitFor(t, what, func() bool {
			f, err := st.FleetStand(ctx, standID)
			return err == nil && cond(f.Health)
		})
	}
	reported := func(orderNo string) {
		t.Helper()
		mqtttest.WaitFor(t, "the stand's report on "+orderNo, func() bool {
			lines, err := st.OrderLedger(ctx, orderNo)
			return err == nil && len(lines) == 1 && lines[0].Ledger != nil
		})
	}
	shotDir := screenshotDir(t)
	shot := func(name string) chromedp.Action[chromedp.Void] { return screenshot(filepath.Join(shotDir, name)) }
	consoleLogin := func() {
		run("desktop", desktopView)
		w.consoleLogin(spec.Login, spec.Password, "#nav-stands")
	}
	managerLogin := func(startURL, waitFor string) { w.wechatAs("李店长", startURL, waitFor) }

	// 1. The provider registers a stand and takes its provisioning file.
	consoleLogin()
	var file string
	run("register a stand",
		chromedp.Click(chromedp.CSS("#nav-stands")),
		chromedp.WaitVisible(chromedp.CSS("#register-submit")),
		chromedp.Click(chromedp.CSS("#register-submit")),
		chromedp.WaitVisible(chromedp.CSS("#provision")),
		textInto("#provision", &file),
	)
	var prov struct {
		DeviceID string `json:"device_id"`
		Secret   string `json:"secret"`
		Broker   string `json:"broker"`
	}
	if err := json.Unmarshal([]byte(file), &prov); err != nil || !strings.HasPrefix(prov.Broker, "tcp://") || prov.Secret == "" {
		t.Fatalf("provisioning file %q: %v", file, err)
	}
	standID = prov.DeviceID
	stand := mqtttest.DialStand(t, prov.Broker, prov.DeviceID, prov.Secret)
	status := mqtt.Status{Firmware: "fleet-test-1.0", BatteryPct: 80, OnBattery: true, Paper: mqtt.PaperOK, PrinterOnline: true,
		PrinterModel: "58mm", Volume: 80, Network: "wifi", SignalDBm: -58}
	stand.Send(&status)

	// 2. The manager pairs it (scans the pairing QR the stand shows).
	stand.Send(&mqtt.PairRequest{Firmware: status.Firmware, Printer: status.PrinterModel})
	pc := pairCode(stand)
	managerLogin(pc.URL, "#pair-submit")
	run("pair", chromedp.Click(chromedp.CSS("#pair-submit")), chromedp.WaitVisible(chromedp.CSS("#paired")))

	// 3. The console lists it online with its printer.
	consoleLogin()
	row := `tr.stand-row[data-stand="` + prov.DeviceID + `"]`
	health("online with its status", func(h storage.StandHealth) bool { return h.Online && h.Paper == mqtt.PaperOK })
	pageShows("list shows online", ts.base+"/console/stands", row+" .presence", regexp.MustCompile(`在线`))
	var paperCell, storeCell string
	run("row details", textInto(row+" .paper", &paperCell), textInto(row+" td:nth-child(2)", &storeCell))
	if paperCell != "正常" || !strings.Contains(storeCell, "一号店") {
		t.Errorf("row: paper %q store %q", paperCell, storeCell)
	}

	// 4. The manager opts in to alerts on the store's stands page.
	managerLogin(ts.base+"/store/"+store.ID+"/stands", "#alerts-toggle")
	run("opt in", chromedp.Click(chromedp.CSS("#alerts-toggle")), chromedp.WaitVisible(chromedp.CSS("#alerts-on")))

	// 5. Paper out: the console shows it and the manager's message is captured.
	status.Paper = mqtt.PaperOut
	stand.Send(&status)
	consoleLogin()
	health("paper out", func(h storage.StandHealth) bool { return h.Paper == mqtt.PaperOut })
	mqtttest.WaitFor(t, "the paper alert raised", func() bool {
		a, err := st.ActiveAlerts(ctx, standID)
		return err == nil && slices.Contains(a, "paper")
	})
	pageShows("console shows paper out", ts.base+"/console/stands/"+prov.DeviceID, ".stand-health .paper", regexp.MustCompile(`缺纸`))
	pageShows("console shows the alert", ts.base+"/console/stands/"+prov.DeviceID, ".stand-health .alerts", regexp.MustCompile(`纸张告警`))
	msg := waitAlert(t, ts, mgrOpenID)
	if !strings.Contains(string(msg.Data), "缺纸") || !strings.Contains(string(msg.Data), prov.DeviceID) || !strings.HasSuffix(msg.URL, "/store/"+store.ID+"/stands") {
		t.Errorf("alert message %+v data %s", msg, msg.Data)
	}
	status.Paper = mqtt.PaperOK
	stand.Send(&status)

	// 6. A payment: the order page shows when it was announced and printed.
	pay := func(amount string) string {
		t.Helper()
		c, err := ts.Payments().Create(ctx, payment.CreateInput{Store: store, Amount: amount, PayerOpenID: "o-payer-000000000000001"})
		if err != nil {
			t.Fatal(err)
		}
		if err := ts.WeChatPaySim().Pay(c.Prepay.PrepayID); err != nil {
			t.Fatal(err)
		}
		waitOrder(t, st, c.Order.OutTradeNo, model.Order.Paid)
		return c.Order.OutTradeNo
	}
	live := pay("12.50")
	m := stand.Next(mqtt.KindPaymentPaid)
	if m.Body.(*mqtt.PaymentPaid).OrderNo != live {
		t.Fatalf("stand got %+v, want order %s", m.Body, live)
	}
	rep := reportLedger(stand, m, false)
	managerLogin(ts.base+"/o/"+live, "#result-paid")
	want := "已播报 " + rep.AnnouncedAt.In(biz.Zone).Format("15:04:05") + " · 已打印 " + rep.PrintedAt.In(biz.Zone).Format("15:04:05")
	reported(live)
	pageShows("order page ledger", ts.base+"/o/"+live, ".order-ledger", regexp.MustCompile(regexp.QuoteMeta(want)))

	// 7. The stand stops: the console lists it offline.
	stand.Stop()
	consoleLogin()
	health("offline", func(h storage.StandHealth) bool { return !h.Online })
	pageShows("list shows offline", ts.base+"/console/stands", row+" .presence", regexp.MustCompile(`离线`))

	// 8. A payment while it is offline is not announced; after it comes
	// back it is announced in the catch-up summary.
	offline := pay("8.00")
	managerLogin(ts.base+"/o/"+offline, "#result-paid")
	pageShows("offline payment not announced", ts.base+"/o/"+offline, ".order-ledger", regexp.MustCompile(`未播报：收款台离线`))
	stand.Restart()
	m = stand.NextWhere(mqtt.KindPaymentPaid, func(m mqtt.Message) bool { return m.Body.(*mqtt.PaymentPaid).OrderNo == offline })
	rep = reportLedger(stand, m, true) // paid while it was away: a catch-up, announced in the offline summary
	want = "已播报（离线汇总） " + rep.AnnouncedAt.In(biz.Zone).Format("15:04:05") + " · 已打印 " + rep.PrintedAt.In(biz.Zone).Format("15:04:05")
	reported(offline)
	pageShows("offline payment announced in catch-up", ts.base+"/o/"+offline, ".order-ledger", regexp.MustCompile(regexp.QuoteMeta(want)))
	run("order page", shot("phone-order-ledger.png"))
	consoleLogin()
	health("online again", func(h storage.StandHealth) bool { return h.Online })
	pageShows("list shows online again", ts.base+"/console/stands", row+" .presence", regexp.MustCompile(`在线`))
	run("stand list", shot("console-stands.png"))

	// The unannounced metric is exported (by the handler the metrics
	// address serves).
	rec := httptest.NewRecorder()
	ts.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	b := rec.Body.Bytes()
	if !strings.Contains(string(b), "qrstand_payments_unannounced{") || !strings.Contains(string(b), `qrstand_stand_alerts_total{kind="paper"} 1`) {
		t.Errorf("metrics lack the fleet series")
	}
}

// waitAlert returns the first stand alert the WeChat simulator captured for
// openid.
func waitAlert(t *testing.T, ts *testServer, openid string) (msg struct {
	URL  string
	Data json.RawMessage
}) {
	t.Helper()
	mqtttest.WaitFor(t, "a stand alert for "+openid, func() bool {
		for _, m := range ts.WeChatPaySim().Messages() {
			if m.ToUser == openid && m.TemplateID == "qrstand-stand-alert" {
				msg.URL, msg.Data = m.URL, m.Data
				return true
			}
		}
		return false
	})
	return msg
}

// reportLedger reports, as stand, that it announced and printed payment m,
// as the firmware does once it has journaled one: spoken, or in the
// offline summary when it is a catch-up.
func reportLedger(stand *mqtttest.Stand, m mqtt.Message, catchUp bool) *mqtt.Ledger {
	journaled := time.Now()
	l := &mqtt.Ledger{Ref: m.ID, Event: m.Type, OrderNo: m.Body.(*mqtt.PaymentPaid).OrderNo, JournaledAt: journaled, CatchUp: catchUp,
		Announce: mqtt.AnnounceSpoken, AnnouncedAt: journaled.Add(300 * time.Millisecond), Print: mqtt.PrintPrinted}
	if catchUp {
		l.Announce = mqtt.AnnounceSummary
	}
	l.PrintedAt = l.AnnouncedAt.Add(1500 * time.Millisecond)
	stand.Send(l)
	return l
}
