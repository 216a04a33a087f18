package escpos

import (
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// TestGBTableMatchesEncoder checks the lookup table against x/text's
// GB18030 encoder for every Unicode code point: a character is in the
// table exactly when the encoder gives it a two-byte code, and with that
// code.
func TestGBTableMatchesEncoder(t *testing.T) {
	if testing.Short() {
		t.Skip("walks all of Unicode")
	}
	enc := simplifiedchinese.GB18030.NewEncoder()
	var src [utf8.UTFMax]byte
	var dst [8]byte
	for r := rune(0x80); r <= utf8.MaxRune; r++ {
		if r >= 0xd800 && r <= 0xdfff {
			continue
		}
		n := utf8.EncodeRune(src[:], r)
		nDst, _, err := enc.Transform(dst[:], src[:n], true)
		want := err == nil && nDst == 2 && dst[0] >= 0x81
		got, ok := encodeGB(r)
		if ok != want || ok && (got[0] != dst[0] || got[1] != dst[1]) {
			t.Fatalf("U+%04X: table % X %v, encoder % X (err %v)", r, got, ok, dst[:nDst], err)
		}
	}
}
