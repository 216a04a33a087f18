package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/wechatsim"
)

// Outside sandbox mode the pay page runs on the configured account: no
// simulator is mounted, the notify endpoint is, and an incomplete account
// is a startup error.
func TestProductionWeChatPayConfig(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "apiclient_key.pem")
	if _, err := wechatsim.LoadOrCreatePrivateKey(keyFile); err != nil {
		t.Fatal(err)
	}
	platform, err := wechatsim.LoadOrCreatePrivateKey(filepath.Join(dir, "platform.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pubFile := filepath.Join(dir, "pub_key.pem")
	if err := os.WriteFile(pubFile, wechatsim.PublicKeyPEM(&platform.PublicKey), 0o600); err != nil {
		t.Fatal(err)
	}
	s, cfg := newProduction(t, dir, `,
		"wechat_pay":{"sp_mchid":"1900000100","merchant_serial":"3775B6A45ACD588826D15E583A95F5DD2A1B0F5A","private_key_file":"`+keyFile+`",
		"apiv3_key":"0123456789abcdefghijklmnopqrstuv","platform_public_key_file":"`+pubFile+`","platform_public_key_id":"PUB_KEY_ID_0114232134912410000000000000"}`)
	if s.Payments() == nil || s.WeChatPaySim() != nil || s.pay.client.Sandbox() {
		t.Fatalf("payments %v, simulator %v", s.Payments() != nil, s.WeChatPaySim() != nil)
	}
	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{http.MethodPost, "/wxpay/notify", http.StatusUnauthorized}, // mounted, and unsigned is refused
		{http.MethodGet, "/sim/", http.StatusNotFound},
		{http.MethodGet, "/v3/pay/partner/transactions/out-trade-no/Q1?sp_mchid=1&sub_mchid=2", http.StatusNotFound},
		{http.MethodPost, "/sim/orders/wx0000/pay", http.StatusForbidden}, // the pages' CSRF check, before their 404
		{http.MethodGet, "/sim/confirm?prepay_id=wx0000", http.StatusNotFound},
		{http.MethodGet, SimPath + "/connect/oauth2/authorize", http.StatusNotFound},
		{http.MethodGet, "/cgi-bin/token", http.StatusNotFound},
	} {
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, httptest.NewRequest(tc.method, tc.path, strings.NewReader("{}")))
		if w.Code != tc.want {
			t.Errorf("%s %s = %d, want %d", tc.method, tc.path, w.Code, tc.want)
		}
	}

	// No sandbox banner on a real deployment's pages.
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	if strings.Contains(w.Body.String(), "sandbox-banner") {
		t.Error("a production page shows the sandbox banner")
	}

	// The same account beside -sandbox or -dev refuses to start, before
	// anything is opened.
	for _, mut := range []func(*Config){func(c *Config) { c.Sandbox = true }, func(c *Config) { c.Dev = true }} {
		c := cfg
		mut(&c)
		c.DataDir = filepath.Join(dir, "never-created")
		s, err := New(context.Background(), c, nil)
		if !errors.Is(err, ErrSandboxWithWeChatPay) {
			if s != nil {
				s.Close()
			}
			t.Fatalf("sandbox %v dev %v with wechat_pay: err %v, want ErrSandboxWithWeChatPay", c.Sandbox, c.Dev, err)
		}
		if !strings.Contains(err.Error(), "remove -sandbox/-dev or the wechat_pay section") {
			t.Errorf("message does not say what to do: %v", err)
		}
		if _, err := os.Stat(c.DataDir); !os.IsNotExist(err) {
			t.Errorf("refused config still created %s", c.DataDir)
		}
	}

	cfg.WeChatPay.PlatformPublicKeyID = ""
	cfg.DataDir = filepath.Join(dir, "data2")
	if s, err := New(context.Background(), cfg, nil); err == nil || !strings.Contains(err.Error(), "wechat_pay") {
		if s != nil {
			s.Close()
		}
		t.Errorf("incomplete account: %v", err)
	}
}

// Without a wechat_pay section only providers with their own account take
// payments: the service runs, a provider without one gets ErrNoAccount, and
// one that entered a complete account gets a client of its own, whose
// notify URL is mounted (an unsigned notify is refused, not 404).
func TestProductionProviderAccountsOnly(t *testing.T) {
	dir := t.TempDir()
	s, _ := newProduction(t, dir, "")
	if s.Payments() == nil {
		t.Fatal("no payment service without a default account")
	}
	ctx := context.Background()
	none, err := s.st.CreateProvider(ctx, "无账户", "", "", model.ProviderSecrets{}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	mk, _ := wechatsim.LoadOrCreatePrivateKey(filepath.Join(dir, "k.pem"))
	pk, _ := wechatsim.LoadOrCreatePrivateKey(filepath.Join(dir, "p.pem"))
	keyPEM, _ := os.ReadFile(filepath.Join(dir, "k.pem"))
	own, err := s.st.CreateProvider(ctx, "有账户", "1900000200", "wx00000000000a0200", model.ProviderSecrets{AppSecret: "0123456789abcdef0123456789abcdef",
		APIv3Key: "0123456789abcdefghijklmnopqrstuv", CertSerial: "3775B6A45ACD588826D15E583A95F5DD2A1B0F5A", PrivateKeyPEM: string(keyPEM),
		PlatformPublicKeyPEM: string(wechatsim.PublicKeyPEM(&pk.PublicKey)), PlatformPublicKeyID: "PUB_KEY_ID_0114232134912410000000000200"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	_ = mk
	if _, ok, err := s.pay.own.account(ctx, none.ID); ok || err != nil {
		t.Errorf("provider without an account: ok %v, %v", ok, err)
	}
	a, ok, err := s.pay.own.account(ctx, own.ID)
	if err != nil || !ok || a.acct.SpMchID != "1900000200" || a.acct.Client.Sandbox() {
		t.Fatalf("provider's own account: %+v %v %v", a.acct, ok, err)
	}
	for _, tc := range []struct {
		path string
		want int
	}{
		{"/wxpay/notify", http.StatusForbidden},              // no default account: falls to the pages, whose CSRF check refuses the POST
		{"/wxpay/notify/" + none.ID, http.StatusNotFound},    // no account of its own
		{"/wxpay/notify/" + own.ID, http.StatusUnauthorized}, // verified with its keys: unsigned is refused
	} {
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodPost, tc.path, strings.NewReader("{}")))
		if w.Code != tc.want {
			t.Errorf("POST %s = %d, want %d", tc.path, w.Code, tc.want)
		}
	}
}

// newProduction builds (does not serve) a server from a production config
// file with its data under dir, and returns it with the parsed config; more
// is JSON added to the file's object (starting with a comma). The server is
// closed when the test ends.
func newProduction(t *testing.T, dir, more string) (*Server, Config) {
	t.Helper()
	jsonCfg := `{"http_addr":"127.0.0.1:0","base_url":"https://pay.example.com","data_dir":"` + filepath.Join(dir, "data") + `",
		"secret_key":"` + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)) + `","wechat_app_id":"wx1234567890abcdef","wechat_app_secret":"s"` +
		more + `}`
	var cfg Config
	if err := ParseConfigJSON([]byte(jsonCfg), &cfg); err != nil {
		t.Fatal(err)
	}
	s, err := New(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, cfg
}
