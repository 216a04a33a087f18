package ui

import (
	"net/url"
	"strings"
	"testing"
)

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"":                              "/",
		"/":                             "/",
		"/store/1":                      "/store/1",
		"/activate/a/b/c?x=1":           "/activate/a/b/c?x=1",
		"/o/1?err_msg=a%3Aok":           "/o/1?err_msg=a%3Aok",
		"//evil.example/x":              "/",
		"/\\evil.example":               "/",
		"/\t/evil.example":              "/", // the reported bypass: browsers drop the tab
		"/\n/evil.example":              "/",
		"/\r\n/evil.example":            "/",
		"/a\\b":                         "/",
		"/ /evil.example":               "/",
		"/\x00/evil.example":            "/",
		"/\u3000/evil.example":          "/",
		"https://evil.example/":         "/",
		"javascript:alert(1)":           "/",
		"http:/evil.example":            "/",
		"evil.example":                  "/",
		"/" + strings.Repeat("a", 3000): "/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

// browserHost resolves a Location value the way a browser does (WHATWG
// URL: leading and trailing C0 controls and spaces trimmed, tabs and
// newlines removed anywhere, a backslash read as a slash) against our own
// page, and returns the host it would go to.
func browserHost(t *testing.T, loc string) string {
	loc = strings.TrimFunc(loc, func(r rune) bool { return r <= ' ' })
	loc = strings.NewReplacer("\t", "", "\n", "", "\r", "", "\\", "/").Replace(loc)
	base, _ := url.Parse("https://pay.example.com/auth/wechat/callback")
	u, err := url.Parse(loc)
	if err != nil {
		return "unparseable"
	}
	return base.ResolveReference(u).Host
}

// FuzzSafeNext: whatever comes in, the redirect, read as a browser reads
// it, stays on this site; and what is accepted is returned unchanged.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/", "//x", "/\\x", "http://x", "/a/b", "/\t/evil.example", "/%09/x", "/\n\n/x", "/a?b=//c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := safeNext(s)
		if got != "/" && got != s {
			t.Fatalf("safeNext(%q) = %q: neither the input nor /", s, got)
		}
		if h := browserHost(t, got); h != "pay.example.com" {
			t.Fatalf("safeNext(%q) = %q: a browser goes to host %q", s, got, h)
		}
	})
}
