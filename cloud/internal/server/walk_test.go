package server

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/storage"
	"github.com/qrstand/qrstand/cloud/internal/ui"
)

// walk is a headless Chromium walking a sandboxed server's pages.
type walk struct {
	t   *testing.T
	ts  *testServer
	ctx context.Context // the browser, ended after the walk's limit
}

// newWalk starts a server and a browser that must finish within limit. It
// skips in -short mode and without chromium (fails under CI=true).
func newWalk(t *testing.T, limit time.Duration) *walk {
	t.Helper()
	bin := chromium(t)
	if testing.Short() {
		t.Skip("browser walk skipped in -short mode")
	}
	ts := startServer(t)
	bctx := headlessChromium(t, context.Background(), bin)
	// Start the browser on the parent context (a timeout there would stop it).
	if err := chromedp.Do(bctx); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(bctx, limit)
	t.Cleanup(cancel)
	return &walk{t: t, ts: ts, ctx: ctx}
}

// run does one step of the walk and fails the test with the page it is on.
func (w *walk) run(step string, actions ...chromedp.Action[chromedp.Void]) {
	w.t.Helper()
	if err := chromedp.Do(w.ctx, actions...); err != nil {
		loc, _ := chromedp.Run(w.ctx, chromedp.Location())
		w.t.Fatalf("%s: %v (at %s)", step, err, loc)
	}
}

// wechatAs opens startURL (a page that needs a WeChat identity) with fresh
// cookies as the WeChat user nickname, through the sandbox OAuth page, and
// waits for waitFor on the page it lands on.
func (w *walk) wechatAs(nickname, startURL, waitFor string) {
	w.t.Helper()
	w.run("open "+startURL+" as "+nickname,
		clearCookies,
		chromedp.Navigate(startURL),
		chromedp.WaitVisible(chromedp.CSS("#nickname")),
		chromedp.SendKeys(chromedp.CSS("#nickname"), nickname),
		chromedp.Click(chromedp.CSS("#authorize")),
		chromedp.WaitVisible(chromedp.CSS(waitFor)),
	)
}

// consoleLogin logs in to the console with fresh cookies and waits for
// waitFor on the page it lands on.
func (w *walk) consoleLogin(user, password, waitFor string) {
	w.t.Helper()
	w.run("console login as "+user,
		clearCookies,
		chromedp.Navigate(w.ts.base+"/console/login"),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), user),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS("#login")),
		chromedp.WaitVisible(chromedp.CSS(waitFor)),
	)
}

var (
	desktopView = chromedp.EmulateViewport(1200, 900)
	phoneView   = chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile)
)

// chromium finds Debian's chromium; absent, the browser tests skip (fail
// under CI=true).
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium not installed (apt-get install -y chromium); required under CI=true")
	}
	t.Skip("chromium not installed (apt-get install -y chromium); skipping the browser walk")
	return ""
}

// headlessChromium starts Debian's Chromium headless with a fresh profile
// and the flags a closed network needs (no background networking, no
// component updates), in zh-CN; the browser ends with the test.
func headlessChromium(t *testing.T, ctx context.Context, bin string) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Flag("headless", true), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("lang", "zh-CN"), chromedp.Flag("accept-lang", "zh-CN,zh"),
	}
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(func() { bcancel(); acancel() })
	return bctx
}

// shopSpec names what newShop makes; see demoShop.
type shopSpec struct {
	Provider, SpMchID, SpAppID string
	Login, Password            string // a console login of the provider's, when Login is set
	Merchant, SubMchID, Admin  string // a merchant, when Merchant is set
	Store, Manager             string // its store (and the store's manager, when named)
}

// demoShop is the sandbox's provider with the walks' console login, its
// merchant 老王面馆 and the store 一号店.
var demoShop = shopSpec{Provider: "演示服务商", SpMchID: SandboxSpMchID, SpAppID: "wxsandbox", Login: "demo", Password: "provider-pass-1",
	Merchant: "老王面馆", SubMchID: "1900000109", Admin: "王老板", Store: "一号店"}

// plainShop is a provider, merchant and store (with a manager) for tests
// that do not look at names; plainShopNoManager has no manager.
var (
	plainShop = shopSpec{Provider: "P", SpMchID: SandboxSpMchID, SpAppID: "wx", Merchant: "面馆", SubMchID: "1900000109", Admin: "王",
		Store: "一号店", Manager: "李"}
	plainShopNoManager = shopSpec{Provider: "P", SpMchID: SandboxSpMchID, SpAppID: "wx", Merchant: "面馆", SubMchID: "1900000109", Admin: "王",
		Store: "一号店"}
)

// shop is a provider's world made in storage, as a test starts from it.
type shop struct {
	provider    model.Provider
	merchant    model.Merchant
	adminCode   model.ActivationCode // the merchant's first admin's
	store       model.Store
	managerCode *model.ActivationCode // the store manager's, when named
}

// newShop makes what spec names in ts's storage.
func newShop(t testing.TB, ts *testServer, spec shopSpec) shop {
	t.Helper()
	st, ctx, now := ts.Storage(), context.Background(), time.Now()
	var s shop
	var err error
	if s.provider, err = st.CreateProvider(ctx, spec.Provider, spec.SpMchID, spec.SpAppID, model.ProviderSecrets{}, now); err != nil {
		t.Fatal(err)
	}
	if spec.Login != "" {
		hash, err := ui.HashPassword(spec.Password)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.CreateConsoleUser(ctx, spec.Login, hash, model.ConsoleProvider, s.provider.ID, now); err != nil {
			t.Fatal(err)
		}
	}
	if spec.Merchant == "" {
		return s
	}
	in := storage.MerchantInput{Name: spec.Merchant, SubMchID: spec.SubMchID, AdminName: spec.Admin}
	if s.merchant, _, s.adminCode, err = st.CreateMerchant(ctx, s.provider.ID, in, time.Hour, now); err != nil {
		t.Fatal(err)
	}
	if s.store, _, s.managerCode, err = st.CreateStore(ctx, s.merchant.ID, storage.StoreInput{Name: spec.Store, ManagerName: spec.Manager}, time.Hour, now); err != nil {
		t.Fatal(err)
	}
	return s
}
