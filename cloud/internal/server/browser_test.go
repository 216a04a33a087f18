package server

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/qrstand/qrstand/mqtt"
)

var screenshots = flag.Bool("screenshots", false, "write the README screenshots into cloud/docs")

// screenshotDir is where a browser walk keeps its pictures: cloud/docs with
// -screenshots (the README's), else a temporary folder.
func screenshotDir(t *testing.T) string {
	if *screenshots {
		return filepath.Join("..", "..", "docs")
	}
	return t.TempDir()
}

// screenshot writes a full-page PNG.
func screenshot(path string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		buf, err := chromedp.FullScreenshot(100)(ctx, tg)
		if err != nil {
			return err
		}
		return os.WriteFile(path, buf, 0o644)
	})
}

// TestBrowserWalk drives headless Chromium through the whole onboarding:
// provider login → add merchant → admin activation QR → sandbox OAuth as
// the admin → activate → add a store and a manager → the manager activates
// → pairs a simulated stand (pair.request over MQTT) → a clerk activates
// and clocks in.
func TestBrowserWalk(t *testing.T) {
	w := newWalk(t, 120*time.Second)
	ts, run := w.ts, w.run
	ctx := context.Background()
	provider := demoShop
	provider.Merchant = "" // the walk adds it
	newShop(t, ts, provider)

	shotDir := screenshotDir(t)
	shot := func(name string) chromedp.Action[chromedp.Void] { return screenshot(filepath.Join(shotDir, name)) }

	// 1. Provider login and a new merchant.
	var adminURL string
	run("desktop", desktopView)
	w.consoleLogin(demoShop.Login, demoShop.Password, "#add-merchant")
	run("add merchant",
		chromedp.SendKeys(chromedp.CSS("#m-name"), "老王面馆"),
		chromedp.SendKeys(chromedp.CSS("#m-sub"), "1900000101"),
		chromedp.SendKeys(chromedp.CSS("#m-admin"), "王老板"),
		chromedp.Click(chromedp.CSS("#m-submit")),
		chromedp.WaitVisible(chromedp.CSS(".admin-activation .code-url")),
		textInto(".admin-activation .code-url", &adminURL),
		shot("console-merchant.png"),
	)
	if !strings.HasPrefix(adminURL, ts.base+"/activate/admin/") {
		t.Fatalf("admin activation URL = %q", adminURL)
	}

	// 2. The admin scans the activation QR in WeChat (sandbox OAuth).
	var storePath string
	w.wechatAs("王老板", adminURL, "#activate")
	run("admin activates and adds a store with a manager",
		phoneView,
		chromedp.Click(chromedp.CSS("#activate")),
		chromedp.WaitVisible(chromedp.CSS("#activated")),
		chromedp.Click(chromedp.CSS("#next")),
		chromedp.WaitVisible(chromedp.CSS("#add-store")),
		chromedp.SendKeys(chromedp.CSS("#s-name"), "一号店"),
		chromedp.SendKeys(chromedp.CSS("#s-manager"), "李店长"),
		chromedp.Click(chromedp.CSS("#s-submit")),
		chromedp.WaitVisible(chromedp.CSS("#store-name")),
		locationInto(&storePath),
	)
	var mgrURL string
	run("manager activation code",
		chromedp.Click(chromedp.CSS(".code-link")),
		chromedp.WaitVisible(chromedp.CSS("#activation .code-url")),
		textInto("#activation .code-url", &mgrURL),
	)
	if !strings.HasPrefix(mgrURL, ts.base+"/activate/manager/") {
		t.Fatalf("manager activation URL = %q", mgrURL)
	}

	// 3. The manager activates.
	w.wechatAs("李店长", mgrURL, "#activate")
	run("manager activates",
		chromedp.Click(chromedp.CSS("#activate")),
		chromedp.WaitVisible(chromedp.CSS("#activated")),
		chromedp.Click(chromedp.CSS("#next")),
		chromedp.WaitVisible(chromedp.CSS("#store-name")),
	)

	// 4. A simulated stand asks to pair over MQTT; the manager scans its QR.
	stand := newStand(t, ts)
	stand.Send(&mqtt.PairRequest{Firmware: "sim-1.0"})
	pc := pairCode(stand)
	run("manager pairs the stand",
		chromedp.Navigate(pc.URL),
		chromedp.WaitVisible(chromedp.CSS("#pair-submit")),
		chromedp.Click(chromedp.CSS("#pair-submit")),
		chromedp.WaitVisible(chromedp.CSS("#paired")),
	)
	cfg := storeConfig(stand, 1)
	if !cfg.Bound || cfg.StoreName != "一号店" || !strings.HasPrefix(cfg.QRURL, ts.base+"/s/") {
		t.Fatalf("stand store.config = %+v", cfg)
	}

	// 5. The manager adds a clerk, who activates and clocks in.
	var clerkURL string
	run("manager adds a clerk",
		chromedp.Navigate(storePath),
		chromedp.WaitVisible(chromedp.CSS("#add-clerk")),
		chromedp.SendKeys(chromedp.CSS("#clerk-name"), "小张"),
		chromedp.Click(chromedp.CSS("#clerk-submit")),
		chromedp.WaitVisible(chromedp.CSS("#activation .code-url")),
		textInto("#activation .code-url", &clerkURL),
		chromedp.Navigate(storePath),
		chromedp.WaitVisible(chromedp.CSS("#stands code")),
	)
	w.wechatAs("小张", clerkURL, "#activate")
	var status string
	run("clerk activates and clocks in",
		chromedp.WaitVisible(chromedp.CSS("#notify")),
		chromedp.Click(chromedp.CSS("#activate")),
		chromedp.WaitVisible(chromedp.CSS("#activated")),
		chromedp.Click(chromedp.CSS("#next")),
		chromedp.WaitVisible(chromedp.CSS("#clock-in")),
		chromedp.Click(chromedp.CSS("#clock-in")),
		chromedp.WaitVisible(chromedp.CSS("#clock-out")),
		textInto("#shift-status", &status),
		shot("phone-clerk.png"),
	)
	if !strings.Contains(status, "上班中") {
		t.Fatalf("clerk status = %q", status)
	}
	// The database agrees: the store has an open shift of a clerk who opted in.
	st, err := ts.Storage().Store(ctx, cfg.StoreID)
	if err != nil {
		t.Fatal(err)
	}
	duty, err := ts.Storage().OnDuty(ctx, st.ID)
	if err != nil || len(duty) != 1 {
		t.Fatalf("on duty = %+v, %v", duty, err)
	}
	recipients, err := ts.Storage().NotifyRecipients(ctx, st.ID, "")
	if err != nil || len(recipients) != 1 || recipients[0].ID != duty[0].StaffID || recipients[0].Name != "小张" {
		t.Fatalf("notify recipients = %+v, %v (on duty %+v)", recipients, err, duty)
	}
}

var clearCookies = chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
	_, err := cdp.Call(ctx, tg, network.ClearBrowserCookies, cdp.Empty{})
	return err
})

func textInto(sel string, dst *string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		v, err := chromedp.Text(chromedp.CSS(sel))(ctx, tg)
		*dst = strings.TrimSpace(v)
		return err
	})
}

func locationInto(dst *string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		v, err := chromedp.Location()(ctx, tg)
		*dst = v
		return err
	})
}
