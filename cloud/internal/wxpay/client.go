package wxpay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/core/auth/verifiers"
	"github.com/wechatpay-apiv3/wechatpay-go/core/notify"
	"github.com/wechatpay-apiv3/wechatpay-go/core/option"
	"github.com/wechatpay-apiv3/wechatpay-go/services/partnerpayments/jsapi"
	"github.com/wechatpay-apiv3/wechatpay-go/services/refunddomestic"
)

// Client talks to WeChat Pay (or the simulator) for one service provider.
// It is safe for concurrent use.
type Client struct {
	cfg     Config
	sdk     *core.Client
	jsapi   jsapi.JsapiApiService
	refunds refunddomestic.RefundsApiService
	notify  *notify.Handler
}

// New builds a client offline: nothing is fetched from WeChat.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	rt := cfg.Transport
	if cfg.SandboxBaseURL != "" {
		u, _ := url.Parse(cfg.SandboxBaseURL)
		rt = &sandboxTransport{scheme: u.Scheme, host: u.Host, base: rt}
	}
	sdk, err := core.NewClient(context.Background(),
		option.WithWechatPayPublicKeyAuthCipher(cfg.SpMchID, cfg.MerchantSerial, cfg.PrivateKey,
			cfg.PlatformPublicKeyID, cfg.PlatformPublicKey),
		option.WithHTTPClient(&http.Client{Transport: rt, Timeout: cfg.Timeout}),
	)
	if err != nil {
		return nil, fmt.Errorf("wxpay: sdk client: %w", err)
	}
	verifier := &probingVerifier{inner: verifiers.NewSHA256WithRSAPubkeyVerifier(cfg.PlatformPublicKeyID, *cfg.PlatformPublicKey)}
	nh, err := notify.NewRSANotifyHandler(cfg.APIv3Key, verifier)
	if err != nil {
		return nil, fmt.Errorf("wxpay: notify handler: %w", err)
	}
	return &Client{
		cfg:     cfg,
		sdk:     sdk,
		jsapi:   jsapi.JsapiApiService{Client: sdk},
		refunds: refunddomestic.RefundsApiService{Client: sdk},
		notify:  nh,
	}, nil
}

// Sandbox reports whether the client talks to the simulator.
func (c *Client) Sandbox() bool { return c.cfg.SandboxBaseURL != "" }

// sandboxTransport sends requests for WeChat Pay's API hosts to the
// simulator. Only scheme and host change: the signature covers the path and
// query, which stay as they are.
type sandboxTransport struct {
	scheme, host string
	base         http.RoundTripper
}

func (t *sandboxTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	switch r.URL.Host {
	case "api.mch.weixin.qq.com", "api2.mch.weixin.qq.com":
		r2 := r.Clone(r.Context())
		r2.URL.Scheme, r2.URL.Host, r2.Host = t.scheme, t.host, t.host
		return t.base.RoundTrip(r2)
	}
	return t.base.RoundTrip(r)
}

// classify turns what the SDK returned into our errors.
//
//   - result == nil: the SDK refused before sending (a local bug): plain error.
//   - no response: transport error or timeout: ErrOutcomeUnknown.
//   - *core.APIError: a definite answer: *APIError (5xx also matches
//     ErrOutcomeUnknown).
//   - a 2xx response with an error: verification (or decoding) failed after
//     WeChat may have acted: ErrOutcomeUnknown + ErrBadResponseSignature.
func (c *Client) classify(op string, result *core.APIResult, err error) error {
	if err == nil {
		return nil
	}
	var ae *core.APIError
	if errors.As(err, &ae) {
		return &APIError{Op: op, Status: ae.StatusCode, Code: ae.Code, Message: ae.Message}
	}
	if result == nil {
		return fmt.Errorf("wxpay: %s: %w", op, err)
	}
	if result.Response == nil {
		return fmt.Errorf("wxpay: %s: %w: %w", op, ErrOutcomeUnknown, err)
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	if errors.As(err, &syn) || errors.As(err, &typ) {
		return fmt.Errorf("wxpay: %s: %w: undecodable answer: %w", op, ErrOutcomeUnknown, err)
	}
	if s := result.Response.StatusCode; s >= 200 && s <= 299 {
		if strings.HasPrefix(result.Response.Header.Get("Wechatpay-Signature"), "WECHATPAY/SIGNTEST/") {
			return fmt.Errorf("wxpay: %s: %w: %w (SIGNTEST probe): %w", op, ErrOutcomeUnknown, ErrBadResponseSignature, err)
		}
		return fmt.Errorf("wxpay: %s: %w: %w: %w", op, ErrOutcomeUnknown, ErrBadResponseSignature, err)
	}
	return fmt.Errorf("wxpay: %s: %w: %w", op, ErrOutcomeUnknown, err)
}
