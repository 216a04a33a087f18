package ui

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
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
