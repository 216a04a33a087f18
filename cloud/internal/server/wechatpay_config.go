package server

import (
	"errors"
	"fmt"
	"os"

	"github.com/qrstand/qrstand/cloud/internal/wxpay"
)

// WeChatPayConfig is the service provider's (服务商) WeChat Pay account for a
// production deployment; cloud/internal/wxpay/README.md says where each
// value comes from. Keys are PEM files. Unused in sandbox mode, where the
// in-process simulator's sandbox account is used.
type WeChatPayConfig struct {
	SpMchID string `json:"sp_mchid"`
	// SpAppID defaults to Config.WeChatAppID (the official account whose
	// OAuth gives payers their sp_openid).
	SpAppID               string `json:"sp_appid"`
	MerchantSerial        string `json:"merchant_serial"`
	PrivateKeyFile        string `json:"private_key_file"` // apiclient_key.pem
	APIv3Key              string `json:"apiv3_key"`
	PlatformPublicKeyFile string `json:"platform_public_key_file"` // pub_key.pem
	PlatformPublicKeyID   string `json:"platform_public_key_id"`   // PUB_KEY_ID_…
}

// wxpayConfig loads the keys and builds the adapter's configuration.
func (c *WeChatPayConfig) wxpayConfig(appID, baseURL string) (wxpay.Config, error) {
	if c.SpMchID == "" || c.MerchantSerial == "" || c.PrivateKeyFile == "" || c.APIv3Key == "" || c.PlatformPublicKeyFile == "" || c.PlatformPublicKeyID == "" {
		return wxpay.Config{}, errors.New("server: wechat_pay needs sp_mchid, merchant_serial, private_key_file, apiv3_key, platform_public_key_file and platform_public_key_id")
	}
	key, err := os.ReadFile(c.PrivateKeyFile)
	if err != nil {
		return wxpay.Config{}, fmt.Errorf("server: wechat_pay private key: %w", err)
	}
	pk, err := wxpay.ParsePrivateKey(string(key))
	if err != nil {
		return wxpay.Config{}, fmt.Errorf("server: wechat_pay private key: %w", err)
	}
	pub, err := os.ReadFile(c.PlatformPublicKeyFile)
	if err != nil {
		return wxpay.Config{}, fmt.Errorf("server: wechat_pay platform public key: %w", err)
	}
	platform, err := wxpay.ParsePublicKey(string(pub))
	if err != nil {
		return wxpay.Config{}, fmt.Errorf("server: wechat_pay platform public key: %w", err)
	}
	if c.SpAppID != "" {
		appID = c.SpAppID
	}
	cfg := wxpay.Config{SpAppID: appID, SpMchID: c.SpMchID, MerchantSerial: c.MerchantSerial, PrivateKey: pk, APIv3Key: c.APIv3Key,
		PlatformPublicKey: platform, PlatformPublicKeyID: c.PlatformPublicKeyID, NotifyURL: baseURL + "/wxpay/notify"}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("server: wechat_pay: %w", err)
	}
	return cfg, nil
}
