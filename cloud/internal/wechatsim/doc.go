// Package wechatsim is a protocol-level simulator of the parts of WeChat Pay
// API v3 (partner / 服务商 mode) and of the official-account API that QR
// Stand uses, so that the unmodified official SDK
// (github.com/wechatpay-apiv3/wechatpay-go) can be driven end to end in
// tests and in development.
//
// A *Server is an http.Handler whose exported fields are its configuration;
// use it in-process with httptest, or run it as cloud/cmd/wechatsim.
//
// What it simulates (see ../../../../shared/reference/wechatpay-v3.md and
// WeChat Pay's partner documentation, pay.weixin.qq.com/docs/partner/):
//
//   - POST /v3/pay/partner/transactions/jsapi (prepay)
//   - GET  /v3/pay/partner/transactions/out-trade-no/{no}?sp_mchid=&sub_mchid=
//   - GET  /v3/pay/partner/transactions/id/{id}?sp_mchid=&sub_mchid=
//   - POST /v3/pay/partner/transactions/out-trade-no/{no}/close (204)
//   - POST /v3/refund/domestic/refunds, GET /v3/refund/domestic/refunds/{no}
//   - GET  /cgi-bin/token, POST /cgi-bin/stable_token,
//     POST /cgi-bin/message/template/send (captured, deduplicated by
//     client_msg_id)
//
// Every API request must carry a valid WECHATPAY2-SHA256-RSA2048
// Authorization header made with the merchant's private key (the simulator
// holds only the merchant's public key); a bad or missing one is answered
// 401 SIGN_ERROR. Every response is signed with the platform key
// (Wechatpay-Serial/-Timestamp/-Nonce/-Signature), 204 included.
//
// Paying happens on the confirm page (/sim/pay?prepay_id=…&return=…), which
// stands in for WeChat's pay sheet, or through Pay. A paid order, and a
// settled refund, is announced by a notify (TRANSACTION.SUCCESS,
// REFUND.SUCCESS) encrypted with AEAD_AES_256_GCM under the merchant's APIv3
// key, signed with the platform key, and resent on WeChat's retry schedule
// (divided by Speedup) until the receiver answers 2xx.
//
// Faults are set with SetFaults (or PUT /sim/faults in the standalone
// simulator): duplicate and concurrent notifies, WECHATPAY/SIGNTEST/ probes,
// stale timestamps, a wrong serial, tampered ciphertext, a 13-byte GCM
// nonce, suppressed notifies, mismatched amount or sub_mchid, 5xx answers,
// slow answers (client timeouts) and badly signed 2xx answers.
//
// Known differences from WeChat: notify_url may be plain http (so httptest
// servers can receive); a refund without notify_url is announced to the
// order's notify_url; error codes and messages follow WeChat's published
// codes but not every message text is WeChat's own.
package wechatsim
