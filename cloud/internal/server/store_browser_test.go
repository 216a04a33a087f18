package server

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/storage"
	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/mqtttest"
	"github.com/qrstand/qrstand/printer"
	"github.com/qrstand/qrstand/printer/render"
)

// storeWorld is a sandboxed server with one store run by real people: an
// admin, a manager and two clerks (小张 with a clerk code), all activated
// as the sandbox OAuth's nicknames, and a paired stand on MQTT.
type storeWorld struct {
	*walk
	store                 model.Store
	admin, mgr, zhang, li model.Staff
	stand                 *mqtttest.Stand
}

func newStoreWorld(t *testing.T) *storeWorld {
	w := &storeWorld{walk: newWalk(t, 150*time.Second)}
	ts := w.ts
	st := ts.Storage()
	ctx := context.Background()
	now := time.Now()
	spec := demoShop
	spec.Login = ""
	sh := newShop(t, ts, spec)
	w.store = sh.store
	var err error
	if w.admin, err = st.Activate(ctx, sh.adminCode.Token, model.RoleAdmin, sh.merchant.ID, ts.Sim().OpenID("王老板"), false, now); err != nil {
		t.Fatal(err)
	}
	add := func(role model.Role, name string, clerkCode, notify bool) model.Staff {
		_, c, err := st.AddStaff(ctx, storage.StaffInput{MerchantID: sh.merchant.ID, StoreID: w.store.ID, Role: role, Name: name, ClerkCode: clerkCode}, time.Hour, now)
		if err != nil {
			t.Fatal(err)
		}
		s, err := st.Activate(ctx, c.Token, role, w.store.ID, ts.Sim().OpenID(name), notify, now)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	w.mgr = add(model.RoleManager, "李店长", false, true)
	w.zhang = add(model.RoleClerk, "小张", true, true)
	w.li = add(model.RoleClerk, "小李", false, true)
	w.stand = pairedStand(t, ts, w.store.ID)
	w.run("phone", phoneView)
	return w
}

// pay pays yuan through a code URL as a customer and returns the order no.
func (w *storeWorld) pay(customer, codeURL, yuan string) string {
	w.t.Helper()
	var resultURL, merchant string
	w.wechatAs(customer, codeURL, "#pay-form")
	w.run("the pay page names the merchant", textInto("#pay-merchant", &merchant))
	if merchant != "老王面馆" {
		w.t.Errorf("pay page merchant %q, want 老王面馆", merchant)
	}
	w.run("pay "+yuan,
		chromedp.SendKeys(chromedp.CSS("#amount"), yuan),
		chromedp.Click(chromedp.CSS("#pay-submit")),
		chromedp.WaitVisible(chromedp.CSS("button.pay")),
		chromedp.Click(chromedp.CSS("button.pay")),
		chromedp.WaitVisible(chromedp.CSS("#result-paid")),
		locationInto(&resultURL),
	)
	no := strings.TrimPrefix(resultURL, w.ts.base+"/o/")
	no, _, _ = strings.Cut(no, "?")
	return no
}

// messagesTo waits until the simulator captured a payment message about
// order no for each openid in want, and returns every recipient of one.
func (w *storeWorld) messagesTo(no string, want ...string) map[string]bool {
	w.t.Helper()
	var got map[string]bool
	mqtttest.WaitFor(w.t, fmt.Sprintf("messages about %s to %v", no, want), func() bool {
		got = map[string]bool{}
		for _, m := range w.ts.WeChatPaySim().Messages() {
			if strings.HasSuffix(m.URL, "/o/"+no) {
				got[m.ToUser] = true
			}
		}
		for _, o := range want {
			if !got[o] {
				return false
			}
		}
		return true
	})
	return got
}

// templateRecipients are the openids the payment's outbox rows address:
// written in the paid transaction, so the full list exists once paid.
func (w *storeWorld) templateRecipients(no string) map[string]bool {
	w.t.Helper()
	rows, err := w.ts.Storage().OutboxByRef(context.Background(), no)
	if err != nil {
		w.t.Fatal(err)
	}
	out := map[string]bool{}
	for _, r := range rows {
		if r.Kind == model.OutboxTemplate {
			out[r.ToOpenID] = true
		}
	}
	return out
}

// TestBrowserShifts: two clerks clock in on their phones and are on duty
// at once; a store-code payment messages both (and the manager, who opted
// in); 小张 clocks out, sees the shift's totals, and the store's stand
// receives the 交班单 (shift.closed) with the same totals; 小李 is still on
// duty. Then a customer pays through 小张's clerk code while 小张 is off
// duty: the message reaches 小李 on duty (and the manager), not 小张.
func TestBrowserShifts(t *testing.T) {
	w := newStoreWorld(t)
	ctx := context.Background()
	clerkPage := w.ts.base + "/clerk/" + w.store.ID
	var onDuty string
	w.wechatAs("小张", clerkPage, "#clock-in")
	w.run("小张 clocks in", chromedp.Click(chromedp.CSS("#clock-in")), chromedp.WaitVisible(chromedp.CSS("#clock-out")))
	w.wechatAs("小李", clerkPage, "#clock-in")
	w.run("小李 clocks in while 小张 is on duty",
		chromedp.Click(chromedp.CSS("#clock-in")),
		chromedp.WaitVisible(chromedp.CSS("#clock-out")),
		textInto("#on-duty", &onDuty),
	)
	if !strings.Contains(onDuty, "小张") {
		t.Errorf("小李's page: on duty %q, want 小张 listed", onDuty)
	}
	if duty, err := w.ts.Storage().OnDuty(ctx, w.store.ID); err != nil || len(duty) != 2 {
		t.Fatalf("on duty = %+v %v, want both clerks", duty, err)
	}

	// A store-code payment: both clerks and the manager are messaged.
	no1 := w.pay("顾客甲", w.ts.base+"/s/"+w.store.CodeToken, "12.50")
	oZhang, oLi, oMgr := w.zhang.OpenID, w.li.OpenID, w.mgr.OpenID
	w.messagesTo(no1, oZhang, oLi, oMgr)

	// 小张 clocks out: the page shows the slip, the stand gets it.
	var count, total, net string
	w.wechatAs("小张", clerkPage, "#clock-out")
	w.run("小张 clocks out",
		chromedp.Click(chromedp.CSS("#clock-out")),
		chromedp.WaitVisible(chromedp.CSS("#shift-slip")),
		textInto("#shift-slip .slip-count", &count),
		textInto("#shift-slip .slip-total", &total),
		textInto("#shift-slip .slip-net", &net),
	)
	if count != "1" || total != "12.50" || net != "12.50" {
		t.Errorf("小张's slip on the page: %s payments, total %s, net %s; want 1, 12.50, 12.50", count, total, net)
	}
	m := w.stand.NextWhere(mqtt.KindShiftClosed, func(m mqtt.Message) bool { return m.Body.(*mqtt.ShiftClosed).Clerk == "小张" })
	slip := m.Body.(*mqtt.ShiftClosed)
	if slip.Count != 1 || slip.TotalFen != 1250 || slip.NetFen != 1250 || slip.StoreName != "一号店" {
		t.Errorf("stand's 交班单 = %+v", slip)
	}
	// The stand prints it: lay it out as the stand's printer does and keep
	// the picture (the README's shift slip with -screenshots).
	doc := printer.Shift{Store: slip.StoreName, Clerk: slip.Clerk, Start: slip.Start, End: slip.End, Count: int(slip.Count),
		TotalFen: slip.TotalFen, RefundCount: int(slip.RefundCount), RefundFen: slip.RefundFen, PrintedAt: slip.End}
	esc, err := printer.Encode(doc, printer.Profile58())
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(screenshotDir(t), "shift-slip.png"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := render.WritePNG(f, esc, render.Options{}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := w.ts.Storage().OpenShiftOf(ctx, w.store.ID, w.li.ID); err != nil {
		t.Errorf("小李 not on duty after 小张's clock-out: %v", err)
	}

	// 小张 is off duty; a customer pays through 小张's own clerk code.
	no2 := w.pay("顾客乙", w.ts.base+"/c/"+w.zhang.ClerkCodeToken, "8.80")
	got := w.messagesTo(no2, oLi, oMgr)
	if rec := w.templateRecipients(no2); rec[oZhang] || got[oZhang] || !rec[oLi] || len(rec) != 2 {
		t.Errorf("off-duty clerk code payment addressed %v (captured %v); want 小李 and the manager only", rec, got)
	}
	if o, err := w.ts.Storage().Order(ctx, no2); err != nil || o.ClerkID != w.zhang.ID {
		t.Errorf("order %+v %v: want it credited to 小张's code", o, err)
	}
}

// TestBrowserManagerDay: a manager's day on the phone. Without the refund
// right the order page has no refund form; the admin grants it from the
// store page; the manager finds the day's orders (filtered by code), opens
// one, is told inline that 25 yuan is more than is left (the input kept),
// refunds 3 yuan and sees 退款成功; then reads the report by clerk and by
// day and downloads the CSV.
func TestBrowserManagerDay(t *testing.T) {
	w := newStoreWorld(t)
	ctx := context.Background()
	st := w.ts.Storage()
	if _, _, err := st.ClockIn(ctx, w.store.ID, w.li.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	no1 := w.pay("顾客甲", w.ts.base+"/s/"+w.store.CodeToken, "20.00")
	w.pay("顾客乙", w.ts.base+"/c/"+w.zhang.ClerkCodeToken, "5.00")
	storePage := w.ts.base + "/store/" + w.store.ID

	// No refund right yet: no refund form.
	w.wechatAs("李店长", w.ts.base+"/o/"+no1, "#staff-order")
	w.run("no refund form without the right", chromedp.WaitNotPresent(chromedp.CSS("#refund-amount")))

	// The admin grants the manager the refund right on the store page.
	w.wechatAs("王老板", storePage, "#managers .refund-toggle")
	w.run("admin grants the refund right",
		chromedp.Click(chromedp.CSS("#managers .refund-toggle")),
		chromedp.WaitVisible(chromedp.CSS("#managers .refund-right")),
	)
	if m, err := st.Staff(ctx, w.mgr.ID); err != nil || !m.CanRefund {
		t.Fatalf("manager after grant: %+v %v", m, err)
	}

	// The manager's store page and the day's orders.
	shots := screenshotDir(t)
	var sum, filtered string
	w.wechatAs("李店长", storePage, "#store-ops")
	w.run("manager opens the store and today's orders",
		chromedp.WaitVisible(chromedp.CSS("#stands code")),
		screenshot(filepath.Join(shots, "phone-store.png")),
		chromedp.Click(chromedp.CSS("#link-orders")),
		chromedp.WaitVisible(chromedp.CSS("#orders .order-link")),
		textInto("#orders-sum", &sum),
		chromedp.SetValue(chromedp.CSS("#f-code"), "store"),
		chromedp.Click(chromedp.CSS("#filter-go")),
		// The old page also has #orders-sum: wait for the filtered
		// page's address before reading it.
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			for {
				loc, err := chromedp.Location()(ctx, tg)
				if err == nil && strings.Contains(loc, "code=store") {
					return nil
				}
				select {
				case <-ctx.Done():
					return fmt.Errorf("filtered page never loaded (at %s): %w", loc, ctx.Err())
				case <-time.After(20 * time.Millisecond):
				}
			}
		}),
		chromedp.WaitVisible(chromedp.CSS("#orders-sum")),
		textInto("#orders-sum", &filtered),
	)
	if !strings.Contains(sum, "2 笔") || !strings.Contains(sum, "25.00") || !strings.Contains(filtered, "1 笔") || !strings.Contains(filtered, "20.00") {
		t.Errorf("orders: all %q, store code %q", sum, filtered)
	}

	// Refund from the order page: too much first, then 3 yuan.
	var msg, kept, state string
	w.run("over-refund is refused inline",
		chromedp.Click(chromedp.CSS("#orders .order-link")),
		chromedp.WaitVisible(chromedp.CSS("#refund-amount")),
		chromedp.SendKeys(chromedp.CSS("#refund-amount"), "25"),
		chromedp.SendKeys(chromedp.CSS("#refund-reason"), "多收了"),
		chromedp.Click(chromedp.CSS("#refund-submit")),
		chromedp.WaitVisible(chromedp.CSS("#refund-error")),
		textInto("#refund-error", &msg),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			v, err := chromedp.Value(chromedp.CSS("#refund-amount"))(ctx, tg)
			kept = v
			return err
		}),
	)
	if !strings.Contains(msg, "超过") || kept != "25" {
		t.Errorf("over-refund: message %q, amount kept %q", msg, kept)
	}
	w.run("refund 3 yuan",
		chromedp.Clear(chromedp.CSS("#refund-amount")),
		chromedp.SendKeys(chromedp.CSS("#refund-amount"), "3.00"),
		chromedp.Click(chromedp.CSS("#refund-submit")),
		chromedp.WaitVisible(chromedp.CSS(".refund-line")),
	)
	mqtttest.WaitFor(t, "the refund succeeded", func() bool {
		rs, err := st.RefundsOf(ctx, no1)
		return err == nil && len(rs) == 1 && rs[0].State == model.RefundSucceeded
	})
	w.run("the order page says 退款成功",
		chromedp.Navigate(w.ts.base+"/o/"+no1),
		chromedp.WaitVisible(chromedp.CSS(".refund-state")),
		textInto(".refund-state", &state),
	)
	if state != "退款成功" {
		t.Errorf("refund state shown as %q", state)
	}

	// Reports and the CSV.
	var byClerk, csv string
	w.run("reports",
		chromedp.Navigate(storePage+"/report?by=clerk"),
		chromedp.WaitVisible(chromedp.CSS("#report")),
		textInto("#report", &byClerk),
		chromedp.Navigate(storePage+"/report?by=day"),
		chromedp.WaitVisible(chromedp.CSS("#report-csv")),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			v, err := chromedp.Evaluate[string](`fetch(document.querySelector('#report-csv').href).then(r => r.text())`, chromedp.EvalAwaitPromise)(ctx, tg)
			csv = v
			return err
		}),
	)
	if !strings.Contains(byClerk, "小张") || !strings.Contains(byClerk, "小李") {
		t.Errorf("report by clerk:\n%s", byClerk)
	}
	// 25.00 taken, 3.00 refunded, 22.00 net, on the total line.
	if !strings.Contains(csv, "实收") || !strings.Contains(csv, "合计,2,25.00,1,3.00,22.00") {
		t.Errorf("CSV:\n%s", csv)
	}
}
