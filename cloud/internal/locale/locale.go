// Package locale translates the user interface. Templates are written in
// zh-CN, the product's language; the zh-CN text is the key and English is
// looked up from it, falling back to the Chinese when missing.
package locale

import (
	"net/http"
	"strings"

	"golang.org/x/text/language"
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
	return fromAccept(r.Header.Get("Accept-Language"))
}

// supported lists the UI languages in the matcher's order; the first is
// the default.
var (
	supported = []Lang{ZH, EN}
	matcher   = language.NewMatcher([]language.Tag{language.MustParse(string(ZH)), language.MustParse(string(EN))})
)

// fromAccept picks the best UI language for an Accept-Language header by
// BCP 47 matching (q-values, regions and scripts are weighed as
// golang.org/x/text/language does); zh-CN when nothing matches.
func fromAccept(h string) Lang {
	tags, _, err := language.ParseAcceptLanguage(h)
	if err != nil || len(tags) == 0 {
		return ZH
	}
	if _, i, conf := matcher.Match(tags...); conf != language.No {
		return supported[i]
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
