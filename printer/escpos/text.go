package escpos

import (
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// Replacement is printed in place of any character the printer cannot
// show: it is in GB2312, so every Chinese printer has it, and it is easy to
// spot on paper.
const Replacement = '□'

// substitutes maps characters that are not printable to a printable
// character that means the same thing. The half-width yen/yuan sign is a
// four-byte GB18030 code; the full-width one (A3 A4) prints everywhere.
var substitutes = map[rune]rune{
	'¥':      '￥',
	'\t':     ' ',
	'\u00a0': ' ',
}

// glyph is one printable character with its bytes in the printer's
// Chinese mode and the number of half-width columns it occupies.
type glyph struct {
	r     rune
	bytes [2]byte
	n     int // 1 (ASCII) or 2 (two-byte GB18030)
}

// width is the display width in columns: the printer's ASCII font is half
// as wide as its Chinese font, so a two-byte character takes two columns.
func (g glyph) width() int { return g.n }

// toGlyph returns how the printer shows r. Control characters, invalid
// UTF-8 and characters that have only four-byte GB18030 codes become
// Replacement; '\n' is not handled here.
func toGlyph(r rune) glyph {
	if s, ok := substitutes[r]; ok {
		r = s
	}
	if r >= 0x20 && r < 0x7f {
		return glyph{r: r, bytes: [2]byte{byte(r)}, n: 1}
	}
	if r >= 0x80 && !(r >= 0x80 && r < 0xa0) && r != utf8.RuneError {
		if b, ok := encodeGB(r); ok {
			return glyph{r: r, bytes: b, n: 2}
		}
	}
	return replacementGlyph
}

var replacementGlyph = glyph{r: Replacement, bytes: [2]byte{0xa1, 0xf5}, n: 2}

// encodeGB returns the two-byte GB18030 code of r, if it has one.
func encodeGB(r rune) ([2]byte, bool) {
	b, ok := gbTable()[r]
	return b, ok
}

// gbTable maps every character with a two-byte GB18030 code (the GBK
// repertoire, about 22 000 characters) to that code. It is built once, on
// first use, by decoding every two-byte code, so that encoding a receipt
// does not run a transformer per character.
var gbTable = sync.OnceValue(func() map[rune][2]byte {
	m := make(map[rune][2]byte, 24000)
	dec := simplifiedchinese.GB18030.NewDecoder()
	var out [8]byte
	for lead := 0x81; lead <= 0xfe; lead++ {
		for trail := 0x40; trail <= 0xfe; trail++ {
			if trail == 0x7f {
				continue
			}
			in := [2]byte{byte(lead), byte(trail)}
			n, _, err := dec.Transform(out[:], in[:], true)
			if err != nil {
				continue
			}
			r, size := utf8.DecodeRune(out[:n])
			if r == utf8.RuneError || size != n {
				continue
			}
			if _, dup := m[r]; !dup {
				m[r] = in
			}
		}
	}
	return m
})

// Printable returns s as the printer will print it: characters it cannot
// show replaced by a substitute or by Replacement. Newlines are kept.
func Printable(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if r == '\n' {
			b.WriteByte('\n')
			continue
		}
		b.WriteRune(toGlyph(r).r)
	}
	return b.String()
}

// Width returns the number of half-width columns s occupies on paper, after
// the replacements Printable makes. A Chinese character takes two columns.
func Width(s string) int {
	w := 0
	for _, r := range s {
		if r == '\n' {
			continue
		}
		w += toGlyph(r).width()
	}
	return w
}

// RuneWidth returns the columns one character occupies on paper (1 or 2).
func RuneWidth(r rune) int { return toGlyph(r).width() }
