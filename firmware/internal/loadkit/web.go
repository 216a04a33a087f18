package loadkit

import (
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Deployment is a cloud as the load sees it from outside: pages, a
// provider's console login and the broker the stands dial. The cloud must
// run in sandbox mode (the WeChat Pay simulator answers at its /sim/ and
// /v3/ paths): the load pays through it.
type Deployment struct {
	// Bases are the nodes' HTTP base URLs; customers are spread over
	// them, the console and the pairing use the first.
	Bases []string
	// Broker is the MQTT broker URL the virtual stands dial.
	Broker string
	// User and Password are a provider's console login: it registers the
	// stands and adds the merchant the load pays.
	User, Password string
}

// Browser is one person's HTTP session with a cloud node.
type Browser struct {
	Base string
	c    *http.Client
}

// NewBrowser is a session with no cookies yet.
func NewBrowser(base string) *Browser {
	jar, _ := cookiejar.New(nil)
	return &Browser{Base: base, c: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

// do sends a request and returns the final response's body and URL
// (redirects followed); a status other than 200 is an error.
func (b *Browser) do(method, path string, form url.Values) (string, *url.URL, error) {
	u := path
	if !strings.HasPrefix(u, "http") {
		u = b.Base + path
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
	csrfRe      = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	codeURLRe   = regexp.MustCompile(`<code class="code-url">([^<]+)</code>`)
	outTradeRe  = regexp.MustCompile(`<dt>商户订单号</dt><dd>([^<]+)</dd>`)
	provisionRe = regexp.MustCompile(`<pre id="provision"[^>]*>([^<]+)</pre>`)
)

func csrfIn(page string) (string, error) {
	m := csrfRe.FindStringSubmatch(page)
	if m == nil {
		return "", errors.New("no csrf field on the page")
	}
	return html.UnescapeString(m[1]), nil
}

// WeChatLogin logs b in through the sandbox OAuth simulator as nickname.
func (b *Browser) WeChatLogin(nickname string) error {
	_, u, err := b.do("GET", "/auth/wechat?next=/", nil)
	if err != nil {
		return fmt.Errorf("loadkit: oauth start: %w", err)
	}
	_, end, err := b.do("POST", "/_sim/wx/connect/oauth2/authorize", url.Values{"q": {u.RawQuery}, "nickname": {nickname}})
	if err != nil {
		return fmt.Errorf("loadkit: oauth simulator: %w", err)
	}
	if end.Path != "/" {
		return fmt.Errorf("loadkit: oauth ended at %s", end)
	}
	return nil
}

// post GETs page for its CSRF token, then POSTs form to action.
func (b *Browser) post(page, action string, form url.Values) (string, *url.URL, error) {
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

// Console logs the provider in on the first node.
func (d Deployment) Console() (*Browser, error) {
	if len(d.Bases) == 0 {
		return nil, errors.New("loadkit: no cloud URL")
	}
	prov := NewBrowser(d.Bases[0])
	if _, _, err := prov.post("/console/login", "/console/login", url.Values{"username": {d.User}, "password": {d.Password}}); err != nil {
		return nil, fmt.Errorf("loadkit: provider login: %w", err)
	}
	return prov, nil
}

// Provision is a stand's identity, as the console's provisioning file
// holds it.
type Provision struct {
	DeviceID string `json:"device_id"`
	Secret   string `json:"secret"`
}

// RegisterStands registers n stands on the provider's console page
// (POST /console/stands, as a provider does by hand) and reads each one's
// provisioning file off the page.
func RegisterStands(prov *Browser, n int) ([]Provision, error) {
	page, _, err := prov.do("GET", "/console/stands", nil)
	if err != nil {
		return nil, fmt.Errorf("loadkit: stands page: %w", err)
	}
	tok, err := csrfIn(page)
	if err != nil {
		return nil, fmt.Errorf("loadkit: stands page: %w", err)
	}
	out := make([]Provision, 0, n)
	for range n {
		body, _, err := prov.do("POST", "/console/stands", url.Values{"csrf": {tok}})
		if err != nil {
			return out, fmt.Errorf("loadkit: register stand: %w", err)
		}
		m := provisionRe.FindStringSubmatch(body)
		if m == nil {
			return out, errors.New("loadkit: no provisioning file on the registration page")
		}
		var p Provision
		if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &p); err != nil || p.DeviceID == "" || p.Secret == "" {
			return out, fmt.Errorf("loadkit: provisioning file: %v", err)
		}
		out = append(out, p)
	}
	return out, nil
}

// SetupMerchant does what a provider and a merchant admin do by hand: the
// provider adds a merchant, its admin activates through the OAuth
// simulator and adds nStores stores. It returns the admin's session
// (which pairs the stands) and the store ids.
func SetupMerchant(prov *Browser, nStores int) (*Browser, []string, error) {
	body, u, err := prov.post("/console", "/console/merchants", url.Values{"name": {"压测商户"}, "sub_mchid": {"1900099999"}, "admin_name": {"压测管理员"}})
	if err != nil {
		return nil, nil, fmt.Errorf("loadkit: add merchant: %w", err)
	}
	merchantID := strings.TrimPrefix(u.Path, "/console/merchants/")
	var activate string
	for _, cm := range codeURLRe.FindAllStringSubmatch(body, -1) {
		if s := html.UnescapeString(cm[1]); strings.Contains(s, "/activate/admin/") {
			activate = s
		}
	}
	if activate == "" {
		return nil, nil, errors.New("loadkit: no admin activation link on the merchant page")
	}
	admin := NewBrowser(prov.Base)
	if err := admin.WeChatLogin("压测管理员"); err != nil {
		return nil, nil, err
	}
	if _, _, err := admin.post(activate, activate, url.Values{}); err != nil {
		return nil, nil, fmt.Errorf("loadkit: admin activation: %w", err)
	}
	var ids []string
	for i := range nStores {
		_, u, err := admin.post("/merchant/"+merchantID, "/merchant/"+merchantID+"/stores",
			url.Values{"name": {fmt.Sprintf("压测门店%d", i+1)}, "manager_name": {fmt.Sprintf("店长%d", i+1)}})
		if err != nil {
			return nil, nil, fmt.Errorf("loadkit: add store: %w", err)
		}
		ids = append(ids, strings.TrimPrefix(u.Path, "/store/"))
	}
	return admin, ids, nil
}

// Pair binds a stand to a store through the pairing page, as the admin.
func (b *Browser) Pair(standID, code, storeID string) error {
	pairURL := "/pair?" + url.Values{"stand": {standID}, "code": {code}}.Encode()
	_, _, err := b.post(pairURL, "/pair", url.Values{"stand": {standID}, "code": {code}, "store": {storeID}})
	return err
}

// Store is one store of the run: its id and pay code token (/s/{token}).
type Store struct {
	ID, Token string
}

// Pay is one customer payment through the real flow: the store's pay
// page, POST /pay (the cloud orders through the WeChat Pay API of the
// simulator), then the simulator's pay sheet confirm, after which the
// simulator sends the signed notify. The customer does not come back to
// the cloud's result page (which would ask WeChat itself), so the notify
// (or the reconciler's query) is the only way the cloud learns of it. It
// returns the order number (once known, also with an error) and when the
// confirm was submitted.
func (b *Browser) Pay(st Store, amount string) (string, time.Time, error) {
	body, _, err := b.do("GET", "/s/"+st.Token, nil)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("pay page: %w", err)
	}
	tok, err := csrfIn(body)
	if err != nil {
		return "", time.Time{}, err
	}
	sheet, u, err := b.do("POST", "/pay/"+st.ID, url.Values{"csrf": {tok}, "amount": {amount}})
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
		return order, at, fmt.Errorf("confirm: %w", err)
	}
	if !strings.Contains(res, "支付成功") {
		return order, at, fmt.Errorf("confirm of %s did not succeed", order)
	}
	return order, at, nil
}

// SetSimFaults replaces the WeChat Pay simulator's faults on a node (PUT
// /sim/faults; see cloud/internal/wechatsim Faults for the knobs), e.g.
// {"duplicate_notifies": 2} or {"suppress_notify": true}; "{}" clears them.
func SetSimFaults(base, faults string) error {
	req, err := http.NewRequest("PUT", base+"/sim/faults", strings.NewReader(faults))
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("loadkit: simulator faults: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != 200 {
		return fmt.Errorf("loadkit: simulator faults: status %d: %s", resp.StatusCode, b)
	}
	return nil
}
