package wxpay

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/wechatpay-apiv3/wechatpay-go/utils"
)

// Config is a service provider's WeChat Pay credentials and our settings.
// README.md says where each value comes from in the merchant platform.
type Config struct {
	// SpAppID is the service provider's official-account appid (the one
	// whose OAuth yields payer sp_openids).
	SpAppID string
	// SpMchID is the service provider's merchant id (服务商商户号).
	SpMchID string
	// MerchantSerial is the serial number of the merchant API certificate
	// (商户API证书序列号).
	MerchantSerial string
	// PrivateKey is the merchant API private key (apiclient_key.pem).
	PrivateKey *rsa.PrivateKey
	// APIv3Key is the 32-byte APIv3 key that decrypts notifies.
	APIv3Key string
	// PlatformPublicKey and PlatformPublicKeyID verify WeChat's responses
	// and notifies (微信支付公钥 and its id "PUB_KEY_ID_…").
	PlatformPublicKey   *rsa.PublicKey
	PlatformPublicKeyID string
	// NotifyURL receives payment and refund notifies: https, no query.
	NotifyURL string
	// SandboxBaseURL, when set (e.g. "http://127.0.0.1:8090"), sends every
	// API call to the simulator instead of api.mch.weixin.qq.com. Scheme and
	// host only: the simulator must serve /v3/ at the root of that host.
	SandboxBaseURL string
	// Timeout bounds one API call. Default 10s.
	Timeout time.Duration
	// Transport is the base round tripper. Default http.DefaultTransport.
	Transport http.RoundTripper
	// NotifyTimeout bounds the NotifyHandler callback; WeChat wants an
	// answer within 5 s. Default 4s.
	NotifyTimeout time.Duration
	// Log receives adapter logs. Default: discard.
	Log *slog.Logger
}

// Validate reports the first missing or malformed field.
func (c *Config) Validate() error {
	var errs []error
	req := func(v, name string) {
		if v == "" {
			errs = append(errs, fmt.Errorf("wxpay: config: %s is required", name))
		}
	}
	req(c.SpAppID, "SpAppID")
	req(c.SpMchID, "SpMchID")
	req(c.MerchantSerial, "MerchantSerial")
	req(c.PlatformPublicKeyID, "PlatformPublicKeyID")
	if c.PrivateKey == nil {
		errs = append(errs, errors.New("wxpay: config: PrivateKey is required"))
	}
	if c.PlatformPublicKey == nil {
		errs = append(errs, errors.New("wxpay: config: PlatformPublicKey is required"))
	}
	if len(c.APIv3Key) != 32 {
		errs = append(errs, fmt.Errorf("wxpay: config: APIv3Key must be 32 bytes, got %d", len(c.APIv3Key)))
	}
	if u, err := url.Parse(c.NotifyURL); err != nil || u.Host == "" || u.RawQuery != "" ||
		!(u.Scheme == "https" || (u.Scheme == "http" && c.SandboxBaseURL != "")) {
		errs = append(errs, errors.New("wxpay: config: NotifyURL must be an https URL without query (http allowed in sandbox)"))
	}
	if c.SandboxBaseURL != "" {
		// Only scheme and host are rewritten, and the simulator checks the
		// signature over the path as signed: a path prefix cannot work.
		if u, err := url.Parse(c.SandboxBaseURL); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			errs = append(errs, errors.New("wxpay: config: SandboxBaseURL must be an http(s) URL with no path"))
		}
	}
	return errors.Join(errs...)
}

func (c *Config) setDefaults() {
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.NotifyTimeout <= 0 {
		c.NotifyTimeout = 4 * time.Second
	}
	if c.Transport == nil {
		c.Transport = http.DefaultTransport
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
}

// ParsePrivateKey reads a PKCS #8 "PRIVATE KEY" PEM (apiclient_key.pem).
func ParsePrivateKey(pemText string) (*rsa.PrivateKey, error) {
	k, err := utils.LoadPrivateKey(pemText)
	if err != nil {
		return nil, fmt.Errorf("wxpay: private key: %w", err)
	}
	return k, nil
}

// ParsePublicKey reads a PKIX "PUBLIC KEY" PEM (the WeChat Pay public key,
// pub_key.pem).
func ParsePublicKey(pemText string) (*rsa.PublicKey, error) {
	k, err := utils.LoadPublicKey(pemText)
	if err != nil {
		return nil, fmt.Errorf("wxpay: public key: %w", err)
	}
	return k, nil
}
