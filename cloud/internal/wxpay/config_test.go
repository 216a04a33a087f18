package wxpay

import (
	"context"
	"errors"

	"github.com/qrstand/qrstand/cloud/internal/wechatsim"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func validConfig(t testing.TB) Config {
	mk, pk := testKeys(t)
	return Config{
		SpAppID: testSpAppID, SpMchID: testSpMchID, MerchantSerial: testSerial, PrivateKey: mk,
		APIv3Key: testAPIv3Key, PlatformPublicKey: &pk.PublicKey, PlatformPublicKeyID: "PUB_KEY_ID_1",
		NotifyURL: "https://qr.example.com/wxpay/notify",
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string // substring of the error; "" = valid
	}{
		{"valid", func(*Config) {}, ""},
		{"sandbox http notify", func(c *Config) { c.SandboxBaseURL = "http://127.0.0.1:8090"; c.NotifyURL = "http://127.0.0.1/n" }, ""},
		{"no appid", func(c *Config) { c.SpAppID = "" }, "SpAppID is required"},
		{"no mchid", func(c *Config) { c.SpMchID = "" }, "SpMchID is required"},
		{"no serial", func(c *Config) { c.MerchantSerial = "" }, "MerchantSerial is required"},
		{"no private key", func(c *Config) { c.PrivateKey = nil }, "PrivateKey is required"},
		{"no platform key", func(c *Config) { c.PlatformPublicKey = nil }, "PlatformPublicKey is required"},
		{"no platform key id", func(c *Config) { c.PlatformPublicKeyID = "" }, "PlatformPublicKeyID is required"},
		{"short apiv3 key", func(c *Config) { c.APIv3Key = "short" }, "APIv3Key must be 32 bytes, got 5"},
		{"http notify outside sandbox", func(c *Config) { c.NotifyURL = "http://qr.example.com/n" }, "NotifyURL must be"},
		{"notify with query", func(c *Config) { c.NotifyURL = "https://qr.example.com/n?a=1" }, "NotifyURL must be"},
		{"bad sandbox url", func(c *Config) { c.SandboxBaseURL = "127.0.0.1:8090" }, "SandboxBaseURL must be"},
		{"sandbox url with path", func(c *Config) { c.SandboxBaseURL = "http://127.0.0.1:8090/wechatsim" }, "SandboxBaseURL must be"},
		{"sandbox url with slash", func(c *Config) { c.SandboxBaseURL = "http://127.0.0.1:8090/" }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig(t)
			tt.mutate(&c)
			err := c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Validate() = %v, want %q", err, tt.want)
			}
			if _, err := New(c); (err == nil) != (tt.want == "") {
				t.Fatalf("New() = %v", err)
			}
		})
	}
}

// TestSandboxTransport: only WeChat Pay's hosts are rewritten, and only
// scheme and host change.
func TestSandboxTransport(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Host+" "+r.RequestURI)
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	tr := &sandboxTransport{scheme: "http", host: host, base: http.DefaultTransport}
	c := &http.Client{Transport: tr}
	for _, u := range []string{
		"https://api.mch.weixin.qq.com/v3/pay/partner/transactions/id/42?sp_mchid=1&sub_mchid=2",
		"https://api2.mch.weixin.qq.com/v3/refund/domestic/refunds/R%2F1?sub_mchid=2",
		srv.URL + "/other",
	} {
		resp, err := c.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	want := []string{
		host + " /v3/pay/partner/transactions/id/42?sp_mchid=1&sub_mchid=2",
		host + " /v3/refund/domestic/refunds/R%2F1?sub_mchid=2",
		host + " /other",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("requests:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// A host that is neither WeChat's nor the sandbox's is left alone.
	if _, err := c.Get("http://127.0.0.1:1/never"); err == nil {
		t.Fatal("request to a closed port succeeded: it was rewritten")
	}
}

// TestSandboxOverTLS: the simulator served over HTTPS, reached through the
// rewriting transport on top of a transport that trusts its certificate.
func TestSandboxOverTLS(t *testing.T) {
	mk, pk := testKeys(t)
	sim := &wechatsim.Server{Merchants: []wechatsim.Merchant{{MchID: testSpMchID, SerialNo: testSerial,
		PublicKey: &mk.PublicKey, APIv3Key: testAPIv3Key}}, PlatformKey: pk}
	srv := httptest.NewTLSServer(sim)
	defer srv.Close()
	defer sim.Close()
	cfg := validConfig(t)
	cfg.PlatformPublicKey, cfg.PlatformPublicKeyID = sim.PlatformPublicKey(), sim.PlatformPublicKeyID()
	cfg.SandboxBaseURL = srv.URL
	cfg.Transport = srv.Client().Transport
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(srv.URL, "https://") || !c.Sandbox() {
		t.Fatalf("not https sandbox: %s", srv.URL)
	}
	// A 2xx answer, so the SDK verified the platform signature over TLS.
	if _, err := c.Prepay(context.Background(), PrepayRequest{SubMchID: testSubMchID, OutTradeNo: "QRS-TLS-000001",
		AmountFen: 1, SpOpenID: testOpenID, Description: "x"}); err != nil {
		t.Fatalf("Prepay over TLS: %v", err)
	}
	if _, err := c.QueryByOutTradeNo(context.Background(), testSubMchID, "QRS-TLS-000002"); !errors.Is(err, ErrOrderNotExist) {
		t.Fatalf("err = %v, want ErrOrderNotExist", err)
	}
}
