package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cloudProc is the qrstand-cloud -dev child process.
type cloudProc struct {
	cmd      *exec.Cmd
	base     string // http://127.0.0.1:port
	broker   string // tcp://127.0.0.1:port
	data     string
	bin      string
	exited   chan struct{}
	stderr   *os.File
	dataArgs []string
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// cloudBinary finds qrstand-cloud: $QRSTAND_CLOUD_BIN, else one beside
// this executable (make build puts both in .build/), else a go build of
// the module's cloud command into tmp. $PATH is not searched: an old
// install there would be measured instead of this tree.
func cloudBinary(ctx context.Context, tmp string) (string, error) {
	if b := os.Getenv("QRSTAND_CLOUD_BIN"); b != "" {
		return b, nil
	}
	if self, err := os.Executable(); err == nil {
		b := filepath.Join(filepath.Dir(self), "qrstand-cloud")
		if st, err := os.Stat(b); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return b, nil
		}
	}
	out := filepath.Join(tmp, "qrstand-cloud")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "github.com/qrstand/qrstand/cloud/cmd/qrstand-cloud")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build qrstand-cloud (run inside the module, or set QRSTAND_CLOUD_BIN): %w", err)
	}
	return out, nil
}

// startCloud runs qrstand-cloud -dev on free loopback ports with its data
// in tmp/cloud, and waits for /healthz.
func startCloud(ctx context.Context, tmp string) (*cloudProc, error) {
	bin, err := cloudBinary(ctx, tmp)
	if err != nil {
		return nil, err
	}
	hp, err := freePort()
	if err != nil {
		return nil, err
	}
	mp, err := freePort()
	if err != nil {
		return nil, err
	}
	c := &cloudProc{bin: bin, base: fmt.Sprintf("http://127.0.0.1:%d", hp), broker: fmt.Sprintf("tcp://127.0.0.1:%d", mp),
		data: filepath.Join(tmp, "cloud"), exited: make(chan struct{})}
	c.dataArgs = []string{"-dev", "-data", c.data, "-metrics", ""}
	args := append([]string{}, c.dataArgs...)
	args = append(args, "-http", fmt.Sprintf("127.0.0.1:%d", hp), "-mqtt", fmt.Sprintf("127.0.0.1:%d", mp), "-log-level", "warn")
	c.cmd = exec.Command(bin, args...)
	// Its log goes to a file: a load run's stderr is the progress line.
	if c.stderr, err = os.Create(filepath.Join(tmp, "cloud.log")); err != nil {
		return nil, err
	}
	c.cmd.Stdout, c.cmd.Stderr = c.stderr, c.stderr
	c.cmd.Env = append(os.Environ(), "QRSTAND_SECRET_KEY=", "QRSTAND_CONFIG=")
	c.cmd.SysProcAttr = childAttr()
	if err := c.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { _ = c.cmd.Wait(); close(c.exited) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(c.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return c, nil
			}
		}
		select {
		case <-c.exited:
			c.stderr.Close()
			return nil, fmt.Errorf("qrstand-cloud exited at start:\n%s", c.logTail())
		case <-ctx.Done():
			c.stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			c.stop()
			return nil, errors.New("qrstand-cloud did not answer /healthz in 60 s")
		}
	}
}

// logTail is the end of the cloud's log, for an error message (the log
// file goes with the run's temporary folder).
func (c *cloudProc) logTail() string {
	b, _ := os.ReadFile(c.stderr.Name())
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// stop ends the cloud: SIGTERM, then SIGKILL after 10 s.
func (c *cloudProc) stop() {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.exited
	}
	c.stderr.Close()
}

// usage reads the cloud's resident memory (KB) and CPU time (user+system)
// from /proc.
func (c *cloudProc) usage() (rssKB int64, cpu time.Duration, err error) {
	pid := c.cmd.Process.Pid
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			f := strings.Fields(l)
			if len(f) >= 2 {
				rssKB, _ = strconv.ParseInt(f[1], 10, 64)
			}
		}
	}
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	// Fields after the command name (which may hold spaces) start at
	// state; utime and stime are fields 14 and 15 of the whole line.
	s := string(st)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0, 0, errors.New("short /proc stat")
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	stt, _ := strconv.ParseInt(f[12], 10, 64)
	const hz = 100 // USER_HZ on Linux
	return rssKB, time.Duration(ut+stt) * time.Second / hz, nil
}

// provisionRec is a line of a provisioning file.
type provisionRec struct {
	DeviceID string `json:"device_id"`
	Secret   string `json:"secret"`
}

// addStands registers n stands with `qrstand-cloud stands add` against
// the running dev cloud's database.
func (c *cloudProc) addStands(ctx context.Context, n int, out string) ([]provisionRec, error) {
	args := append([]string{"stands", "add", "-n", strconv.Itoa(n), "-broker", c.broker, "-out", out}, c.dataArgs...)
	cmd := exec.CommandContext(ctx, c.bin, args...)
	cmd.Env = append(os.Environ(), "QRSTAND_CONFIG=")
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("stands add: %w: %s", err, b)
	}
	files, _ := filepath.Glob(filepath.Join(out, "*.json"))
	var ps []provisionRec
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var p provisionRec
		if err := json.Unmarshal(b, &p); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		ps = append(ps, p)
	}
	if len(ps) != n {
		return nil, fmt.Errorf("stands add wrote %d files, want %d", len(ps), n)
	}
	return ps, nil
}

// browser is one person's HTTP session with the cloud.
type browser struct {
	base string
	c    *http.Client
}

func newBrowser(base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{base: base, c: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

// do sends a request and returns the final response's body and URL
// (redirects followed); a status other than 200 is an error.
func (b *browser) do(method, path string, form url.Values) (string, *url.URL, error) {
	u := path
	if !strings.HasPrefix(u, "http") {
		u = b.base + path
	}
	var resp *http.Response
	var err error
	if method == "GET" {
		resp, err = b.c.Get(u)
	} else {
		resp, err = b.c.PostForm(u, form)
	}
	if err != nil {
		return "", nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return "", nil, err
	}
	if resp.StatusCode != 200 {
		return string(body), resp.Request.URL, fmt.Errorf("%s %s: status %d", method, path, resp.StatusCode)
	}
	return string(body), resp.Request.URL, nil
}

var (
	csrfRe     = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	codeURLRe  = regexp.MustCompile(`<code class="code-url">([^<]+)</code>`)
	outTradeRe = regexp.MustCompile(`<dt>商户订单号</dt><dd>([^<]+)</dd>`)
	loginRe    = regexp.MustCompile(`provider console login: \S+\s+user "demo"\s+password "([^"]+)"`)
)

func csrfIn(page string) (string, error) {
	m := csrfRe.FindStringSubmatch(page)
	if m == nil {
		return "", errors.New("no csrf field on the page")
	}
	return html.UnescapeString(m[1]), nil
}

// wechatLogin logs b in through the sandbox OAuth simulator as nickname.
func (b *browser) wechatLogin(nickname string) error {
	_, u, err := b.do("GET", "/auth/wechat?next=/", nil)
	if err != nil {
		return fmt.Errorf("oauth start: %w", err)
	}
	_, end, err := b.do("POST", "/_sim/wx/connect/oauth2/authorize", url.Values{"q": {u.RawQuery}, "nickname": {nickname}})
	if err != nil {
		return fmt.Errorf("oauth simulator: %w", err)
	}
	if end.Path != "/" {
		return fmt.Errorf("oauth ended at %s", end)
	}
	return nil
}

// post GETs page for its CSRF token, then POSTs form to action.
func (b *browser) post(page, action string, form url.Values) (string, *url.URL, error) {
	body, _, err := b.do("GET", page, nil)
	if err != nil {
		return "", nil, err
	}
	tok, err := csrfIn(body)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", page, err)
	}
	form.Set("csrf", tok)
	return b.do("POST", action, form)
}

// store is one store set up for the run.
type store struct {
	id, token string // the pay code token (/s/{token})
}

// setupMerchant does what a provider and a merchant admin do by hand: the
// provider (dev mode's seeded "demo" login) adds a merchant, its admin
// activates through the OAuth simulator and adds S stores. It returns the
// admin's session (which pairs the stands) and the stores.
func (c *cloudProc) setupMerchant(nStores int) (*browser, []string, error) {
	logins, err := os.ReadFile(filepath.Join(c.data, "dev-logins.txt"))
	if err != nil {
		return nil, nil, err
	}
	m := loginRe.FindSubmatch(logins)
	if m == nil {
		return nil, nil, errors.New("no demo provider login in dev-logins.txt")
	}
	prov := newBrowser(c.base)
	if _, _, err := prov.post("/console/login", "/console/login", url.Values{"username": {"demo"}, "password": {string(m[1])}}); err != nil {
		return nil, nil, fmt.Errorf("provider login: %w", err)
	}
	body, u, err := prov.post("/console", "/console/merchants", url.Values{"name": {"压测商户"}, "sub_mchid": {"1900099999"}, "admin_name": {"压测管理员"}})
	if err != nil {
		return nil, nil, fmt.Errorf("add merchant: %w", err)
	}
	merchantID := strings.TrimPrefix(u.Path, "/console/merchants/")
	var activate string
	for _, cm := range codeURLRe.FindAllStringSubmatch(body, -1) {
		if s := html.UnescapeString(cm[1]); strings.Contains(s, "/activate/admin/") {
			activate = s
		}
	}
	if activate == "" {
		return nil, nil, errors.New("no admin activation link on the merchant page")
	}
	admin := newBrowser(c.base)
	if err := admin.wechatLogin("压测管理员"); err != nil {
		return nil, nil, err
	}
	if _, _, err := admin.post(activate, activate, url.Values{}); err != nil {
		return nil, nil, fmt.Errorf("admin activation: %w", err)
	}
	var ids []string
	for i := range nStores {
		_, u, err := admin.post("/merchant/"+merchantID, "/merchant/"+merchantID+"/stores",
			url.Values{"name": {fmt.Sprintf("压测门店%d", i+1)}, "manager_name": {fmt.Sprintf("店长%d", i+1)}})
		if err != nil {
			return nil, nil, fmt.Errorf("add store: %w", err)
		}
		ids = append(ids, strings.TrimPrefix(u.Path, "/store/"))
	}
	return admin, ids, nil
}

// pair binds a stand to a store through the pairing page, as the admin.
func (b *browser) pair(standID, code, storeID string) error {
	pairURL := "/pair?" + url.Values{"stand": {standID}, "code": {code}}.Encode()
	_, _, err := b.post(pairURL, "/pair", url.Values{"stand": {standID}, "code": {code}, "store": {storeID}})
	return err
}

// pay is one customer payment through the real flow: the store's pay
// page, POST /pay (the cloud orders through the WeChat Pay API of the
// simulator), then the simulator's pay sheet confirm, after which the
// simulator sends the signed notify. It returns the order number and when
// the confirm was submitted.
func (b *browser) pay(st store, amount string) (string, time.Time, error) {
	body, _, err := b.do("GET", "/s/"+st.token, nil)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("pay page: %w", err)
	}
	tok, err := csrfIn(body)
	if err != nil {
		return "", time.Time{}, err
	}
	sheet, u, err := b.do("POST", "/pay/"+st.id, url.Values{"csrf": {tok}, "amount": {amount}})
	if err != nil {
		return "", time.Time{}, fmt.Errorf("pay: %w", err)
	}
	prepay := u.Query().Get("prepay_id")
	m := outTradeRe.FindStringSubmatch(sheet)
	if prepay == "" || m == nil {
		return "", time.Time{}, fmt.Errorf("pay ended at %s, not the simulator's pay sheet", u.Path)
	}
	order := html.UnescapeString(m[1])
	at := time.Now()
	res, _, err := b.do("POST", u.Scheme+"://"+u.Host+u.Path, url.Values{"prepay_id": {prepay}, "action": {"confirm"}})
	if err != nil {
		return "", time.Time{}, fmt.Errorf("confirm: %w", err)
	}
	if !strings.Contains(res, "支付成功") {
		return "", time.Time{}, fmt.Errorf("confirm of %s did not succeed", order)
	}
	return order, at, nil
}
