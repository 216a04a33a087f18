package speech

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// readBack is an independent reader of Mandarin amounts (text → fen), written
// for the round-trip check: it parses the way a listener adds up what is
// said, not by inverting the generator.
func readBack(text string) (int64, error) {
	body, ok := strings.CutSuffix(text, string(Yuan))
	if !ok {
		return 0, fmt.Errorf("no 元 at the end of %q", text)
	}
	intPart, fracPart, hasDot := strings.Cut(body, string(Dian))
	digit := map[rune]int64{'零': 0, '一': 1, '二': 2, '两': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9}
	var total, wan, sec, num int64
	numSet := false
	for _, r := range intPart {
		switch r {
		case '十', '百', '千':
			unit := map[rune]int64{'十': 10, '百': 100, '千': 1000}[r]
			if !numSet {
				if r != '十' {
					return 0, fmt.Errorf("%q: %c without a digit", text, r)
				}
				num = 1
			}
			sec += num * unit
			num, numSet = 0, false
		case '万':
			wan += (sec + num) * 10_000
			sec, num, numSet = 0, 0, false
		case '亿':
			total = (total + wan + sec + num) * 100_000_000
			wan, sec, num, numSet = 0, 0, 0, false
		default:
			d, ok := digit[r]
			if !ok {
				return 0, fmt.Errorf("%q: unexpected %c", text, r)
			}
			num, numSet = d, true
		}
	}
	fen := (total + wan + sec + num) * 100
	if hasDot {
		rs := []rune(fracPart)
		if len(rs) == 0 || len(rs) > 2 {
			return 0, fmt.Errorf("%q: %d decimals", text, len(rs))
		}
		scale := int64(10)
		for _, r := range rs {
			d, ok := digit[r]
			if !ok || r == '两' {
				return 0, fmt.Errorf("%q: bad decimal %c", text, r)
			}
			fen += d * scale
			scale /= 10
		}
	}
	return fen, nil
}

// checkReading asserts the structural rules a round trip cannot see.
func checkReading(t *testing.T, fen int64, text string) {
	t.Helper()
	body := strings.TrimSuffix(text, string(Yuan))
	intPart, frac, _ := strings.Cut(body, string(Dian))
	bad := func(rule string) { t.Fatalf("%d → %q breaks the rule: %s", fen, text, rule) }
	if strings.HasPrefix(intPart, "一十") {
		bad("十 not 一十 at the very start")
	}
	if strings.Contains(intPart, "零零") {
		bad("a run of zeros is one 零")
	}
	if intPart != "零" && (strings.HasSuffix(intPart, "零") || strings.HasPrefix(intPart, "零")) {
		bad("no leading or trailing 零 in the integer part")
	}
	for _, s := range []string{"零万", "零亿", "零十", "零百", "零千", "亿万"} {
		if strings.Contains(intPart, s) {
			bad("no 零 before a unit, no empty 万 after 亿: " + s)
		}
	}
	if strings.HasSuffix(frac, "零") {
		bad("trailing zeros of the fraction are dropped")
	}
	if fen%100 == 0 && strings.Contains(text, string(Dian)) {
		bad("no 点 when the decimals are zero")
	}
}

// FuzzAmountText: every fen in [0, maxReadFen] reads as known tokens only, follows
// the structural rules, and reads back to the same fen in both styles;
// everything else is a clear error.
func FuzzAmountText(f *testing.F) {
	for _, tc := range amountCases {
		f.Add(tc.fen)
	}
	f.Add(int64(-1))
	f.Add(maxReadFen + 1)
	f.Add(int64(1<<63 - 1))
	f.Fuzz(func(t *testing.T, fen int64) {
		for _, two := range []TwoStyle{TwoEr, TwoLiang} {
			toks, err := AmountTokens(fen, two)
			switch {
			case fen < 0:
				if !errors.Is(err, ErrNegative) {
					t.Fatalf("AmountTokens(%d) error = %v, want ErrNegative", fen, err)
				}
				return
			case fen > maxReadFen:
				if !errors.Is(err, ErrOverflow) {
					t.Fatalf("AmountTokens(%d) error = %v, want ErrOverflow", fen, err)
				}
				return
			case err != nil:
				t.Fatalf("AmountTokens(%d): %v", fen, err)
			}
			for _, tok := range toks {
				if !tok.HasClip() {
					t.Fatalf("AmountTokens(%d) has token %q without a clip", fen, tok)
				}
			}
			text := Text(toks)
			back, err := Tokenize(text)
			if err != nil || len(back) != len(toks) {
				t.Fatalf("Tokenize(%q) = %v, %v; want %v", text, back, err, toks)
			}
			checkReading(t, fen, text)
			got, err := readBack(text)
			if err != nil {
				t.Fatalf("readBack: %v", err)
			}
			if got != fen {
				t.Fatalf("%d (%v) → %q → %d", fen, two, text, got)
			}
		}
	})
}

func TestReadBackRejects(t *testing.T) {
	// The reverse reader must itself be able to fail, or the fuzz proves nothing.
	for _, s := range []string{"十二", "十二点五六七元", "百元", "十二块元"} {
		if _, err := readBack(s); err == nil {
			t.Errorf("readBack(%q): no error", s)
		}
	}
	if got, _ := readBack("一万零二亿元"); got != 100020000000000 {
		t.Errorf("readBack(一万零二亿元) = %d", got)
	}
}

// FuzzTokenize: text read back from storage either splits into known tokens
// that join to the same text, or is refused with ErrUnknownText.
func FuzzTokenize(f *testing.F) {
	f.Add("微信收款十二点五元")
	f.Add("离线期间收款三笔，共四十五点五元")
	f.Add("十二块")
	f.Add("\xff")
	f.Fuzz(func(t *testing.T, s string) {
		toks, err := Tokenize(s)
		if err != nil {
			if !errors.Is(err, ErrUnknownText) {
				t.Fatalf("Tokenize(%q): %v", s, err)
			}
			return
		}
		for _, tok := range toks {
			if !tok.Known() {
				t.Fatalf("Tokenize(%q) gave unknown token %q", s, tok)
			}
		}
		if Text(toks) != s {
			t.Fatalf("Text(Tokenize(%q)) = %q", s, Text(toks))
		}
	})
}
