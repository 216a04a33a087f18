// Package wxpay is QR Stand's WeChat Pay adapter: partner (服务商) JSAPI
// payments, queries, closing, refunds and notifies, all through the
// unmodified official SDK github.com/wechatpay-apiv3/wechatpay-go v0.2.20.
//
// The client is built offline with the platform public key
// (option.WithWechatPayPublicKeyAuthCipher): no certificate download. In
// sandbox mode (Config.SandboxBaseURL set) and only then, its http.Client
// rewrites the scheme and host of api.mch.weixin.qq.com to the simulator
// (cloud/internal/wechatsim); the request signature covers only the path and
// query, so nothing else changes.
//
// Outcomes. A call that may or may not have taken effect — a timeout, a
// transport error, a 5xx, or a 2xx whose signature does not verify (WeChat
// sends WECHATPAY/SIGNTEST/ probes on purpose) — returns an error wrapping
// ErrOutcomeUnknown: query, or retry with the same out_trade_no /
// out_refund_no. A definite refusal is an *APIError.
//
// Notifies. ParseNotify verifies and decrypts through the SDK's notify
// handler and returns errors the HTTP layer can branch on: ErrBadSignature
// (answer 4xx; SIGNTEST probes, stale timestamps and wrong serials land
// here), ErrBadNotify (4xx; undecryptable or malformed body, including the
// 13-byte GCM nonce that panics inside the SDK, recovered here). The SDK
// accepts a well-signed notify whose amount or sub_mchid differs from our
// order: the caller cross-checks the fields Notify carries.
//
// References: ../../../../shared/reference/wechatpay-v3.md;
// pay.weixin.qq.com/docs/partner/apis/partner-jsapi-payment/partner-jsapi-prepay.html;
// pay.weixin.qq.com/docs/partner/development/interface-rules/signature-verification.html.
// README.md in this folder says how to move from the simulator to real
// credentials.
package wxpay
