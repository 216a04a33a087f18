package ui

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/wxpay"
)

// A card says what its code does: a management code is never labelled as
// a way to pay, an activation code says so, and a store or clerk code says
// 微信扫码付款 with the title and line it was given (a clerk's card: the
// store and the clerk).
func TestCardCaption(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		u, title, sub, want, not string
	}{
		{testBase + "/m/abc", "老王面馆", "商户管理码", "商户管理码 · 仅限商户管理员扫码", "微信扫码付款"},
		{testBase + "/activate/clerk/s1/tok", "一号店", "", "身份激活码", "微信扫码付款"},
		{testBase + "/s/tok", "一号店", "", "微信扫码付款", "商户管理码"},
		{testBase + "/c/tok", "一号店", "店员 · 小张", "微信扫码付款", "商户管理码"},
	} {
		q := url.Values{"u": {tc.u}, "title": {tc.title}, "sub": {tc.sub}}
		w := e.do(principal{}, http.MethodGet, "/card?"+q.Encode(), nil)
		body := w.Body.String()
		if w.Code != http.StatusOK || !strings.Contains(body, tc.want) || strings.Contains(body, tc.not) ||
			!strings.Contains(body, tc.title) || !strings.Contains(body, tc.sub) {
			t.Errorf("card for %s: %d, want %q (not %q) with %q %q", tc.u, w.Code, tc.want, tc.not, tc.title, tc.sub)
		}
	}
}

// The provider form's checks never panic on whatever a browser sends, and
// an account they accept has keys the server can build a client from.
func FuzzCheckAccount(f *testing.F) {
	f.Add("1900000001", "wx0123456789abcdef", "0123456789abcdef0123456789abcdef", "-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----", "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----", "PUB_KEY_ID_01")
	f.Add("", "", "", "", "", "")
	f.Fuzz(func(t *testing.T, mch, app, apiv3, key, pub, id string) {
		p := model.Provider{SPMchID: mch, SPAppID: app}
		sec := model.ProviderSecrets{APIv3Key: apiv3, CertSerial: "ABCDEF12", PrivateKeyPEM: key, PlatformPublicKeyPEM: pub, PlatformPublicKeyID: id}
		if errs := checkAccount(p, sec); len(errs) == 0 && sec.HasPayAccount() {
			if _, err := wxpay.ParsePrivateKey(key); err != nil {
				t.Fatalf("accepted an unreadable key: %v", err)
			}
			if _, err := wxpay.ParsePublicKey(pub); err != nil {
				t.Fatalf("accepted an unreadable public key: %v", err)
			}
		}
	})
}
