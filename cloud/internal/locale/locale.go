// Package locale translates the user interface. Templates are written in
// zh-CN, the product's language; the zh-CN text is the key and English is
// looked up from it, falling back to the Chinese when missing.
package locale

import (
	"net/http"
	"strings"
)

// Lang is a UI language.
type Lang string

// Languages.
const (
	ZH Lang = "zh-CN"
	EN Lang = "en"
)

// T translates a zh-CN string.
func (l Lang) T(text string) string {
	zh := text
	if l == EN {
		if s, ok := english[zh]; ok {
			return s
		}
	}
	if s, ok := zhKeys[zh]; ok {
		return s
	}
	return zh
}

// HTMLLang is the value for <html lang>.
func (l Lang) HTMLLang() string { return string(l) }

// Other is the language a switch link offers.
func (l Lang) Other() Lang {
	if l == EN {
		return ZH
	}
	return EN
}

// Has reports whether zh has an English translation.
func Has(zh string) bool { _, ok := english[zh]; return ok }

// FromRequest picks the language: ?lang=, then the qrs_lang cookie, then
// Accept-Language; zh-CN by default.
func FromRequest(r *http.Request) Lang {
	if l, ok := parse(r.URL.Query().Get("lang")); ok {
		return l
	}
	if c, err := r.Cookie("qrs_lang"); err == nil {
		if l, ok := parse(c.Value); ok {
			return l
		}
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case strings.HasPrefix(tag, "zh"):
			return ZH
		case strings.HasPrefix(tag, "en"):
			return EN
		}
	}
	return ZH
}

func parse(s string) (Lang, bool) {
	switch strings.ToLower(s) {
	case "en", "en-us", "en-gb":
		return EN, true
	case "zh", "zh-cn", "zh-hans":
		return ZH, true
	}
	return "", false
}
