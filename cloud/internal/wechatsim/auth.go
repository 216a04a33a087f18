package wechatsim

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxBody bounds request bodies; WeChat's own limit is far larger than
// anything these APIs carry.
const maxBody = 1 << 20

const authScheme = "WECHATPAY2-SHA256-RSA2048"

// call is one authenticated API request.
type call struct {
	merchant Merchant
	body     []byte
}

// authError is a request-signature failure, answered 401 SIGN_ERROR.
type authError struct{ msg string }

func (e authError) Error() string { return e.msg }

// authenticate checks the Authorization header of r against the merchant it
// names. The signed message is METHOD\nURI\ntimestamp\nnonce\nbody\n where
// URI is the request target as sent (path and query).
// See pay.weixin.qq.com/docs/merchant/development/interface-rules/signature-generation.html
func (s *Server) authenticate(r *http.Request) (*call, error) {
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	h := r.Header.Get("Authorization")
	scheme, params, ok := strings.Cut(h, " ")
	if !ok || scheme != authScheme {
		return nil, authError{"Http头Authorization值格式错误，请参考《微信支付商户REST API签名规则》"}
	}
	kv := map[string]string{}
	for _, part := range strings.Split(params, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
			return nil, authError{"Http头Authorization值格式错误，请参考《微信支付商户REST API签名规则》"}
		}
		kv[k] = v[1 : len(v)-1]
	}
	for _, k := range []string{"mchid", "nonce_str", "timestamp", "serial_no", "signature"} {
		if kv[k] == "" {
			return nil, authError{"Http头Authorization中缺少" + k}
		}
	}
	m, ok := s.merchant(kv["mchid"])
	if !ok {
		return nil, authError{"商户号" + kv["mchid"] + "不存在"}
	}
	if kv["serial_no"] != m.SerialNo {
		return nil, authError{"商户证书序列号有误。请使用签名私钥匹配的证书序列号"}
	}
	ts, err := strconv.ParseInt(kv["timestamp"], 10, 64)
	if err != nil {
		return nil, authError{"Http头Authorization中timestamp格式错误"}
	}
	if d := s.Now().Sub(time.Unix(ts, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return nil, authError{"请求时间戳与当前时间相差超过5分钟"}
	}
	msg := fmt.Sprintf("%s\n%s\n%s\n%s\n%s\n", r.Method, r.RequestURI, kv["timestamp"], kv["nonce_str"], body)
	if m.PublicKey == nil || verifyMessage(m.PublicKey, msg, kv["signature"]) != nil {
		return nil, authError{"签名错误，请检查后再试"}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return &call{merchant: m, body: body}, nil
}
