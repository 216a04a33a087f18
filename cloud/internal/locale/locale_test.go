package locale

import (
	"net/http/httptest"
	"testing"
)

func TestFromRequest(t *testing.T) {
	for _, tc := range []struct {
		query, cookie, accept string
		want                  Lang
	}{
		{"", "", "", ZH},
		{"", "", "en-US,en;q=0.9", EN},
		{"", "", "zh-CN,zh;q=0.9,en;q=0.8", ZH},
		{"", "", "fr-FR", ZH},
		{"", "en", "zh-CN", EN},
		{"zh-CN", "en", "en", ZH},
		{"xx", "", "en", EN},
		{"", "", "en;q=0.5, zh-CN;q=0.9", ZH}, // q-values, not order, decide
		{"", "", "de-DE, en-GB;q=0.8", EN},
		{"", "", "zh-Hans-CN", ZH},
		{"", "", "en-AU", EN},
		{"", "", "*", ZH},
		{"", "", "not a header;;;q=x", ZH},
		{"", "", "zh-TW", ZH},          // Traditional only: Simplified is the nearest
		{"", "", "zh-TW,en;q=0.8", EN}, // but an exact English beats it (CLDR distances)
	} {
		r := httptest.NewRequest("GET", "/?lang="+tc.query, nil)
		if tc.cookie != "" {
			r.Header.Set("Cookie", "qrs_lang="+tc.cookie)
		}
		r.Header.Set("Accept-Language", tc.accept)
		if got := FromRequest(r); got != tc.want {
			t.Errorf("%+v: got %s", tc, got)
		}
	}
	if EN.T("role.clerk") != "Clerk" || ZH.T("role.clerk") != "店员" || EN.T("未知文字") != "未知文字" {
		t.Error("T lookups wrong")
	}
}

func FuzzFromRequest(f *testing.F) {
	f.Add("en-US,en;q=0.9", "en")
	f.Add(";;,,", "")
	f.Fuzz(func(t *testing.T, accept, q string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Accept-Language", accept)
		r.URL.RawQuery = "lang=" + q
		if l := FromRequest(r); l != ZH && l != EN {
			t.Fatalf("language %q", l)
		}
	})
}
