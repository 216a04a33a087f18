package speech

import (
	"fmt"
	"strings"
)

// maxReadFen is the largest amount the reader can say: 9999 9999 9999
// 9999.99 yuan, the top of the 万亿 range; anything larger would need 亿亿
// and is an error. It is the reader's grammar, not a money rule: it lies
// far above biz.maxReadFen, so every payment and any total of them reads.
const maxReadFen int64 = 1_000_000_000_000_000_000 - 1

// TwoStyle chooses how the digit 2 is read where Mandarin allows 两.
type TwoStyle int

const (
	// TwoEr reads every 2 as 二 (二百, 二千, 二万, 二元). The default.
	TwoEr TwoStyle = iota
	// TwoLiang reads 2 as 两 in exactly two positions, and as 二 everywhere
	// else:
	//   1. the first spoken digit of the integer part, when it is 2 and the
	//      token right after it is 百, 千, 万 or 亿: 200 → 两百,
	//      2500 → 两千五百, 20000 → 两万, 2_0000_0000 → 两亿,
	//      2000_0000_0000 → 两千亿; but 20 → 二十, 1200 → 一千二百,
	//      120000 → 十二万, 2200 → 两千二百 (only the first 2);
	//   2. a whole amount of exactly 2 yuan: 2.00 → 两元 (2.50 stays 二点五元).
	// Decimals, tens and units are always 二.
	TwoLiang
)

// String returns "er" or "liang".
func (s TwoStyle) String() string {
	switch s {
	case TwoEr:
		return "er"
	case TwoLiang:
		return "liang"
	}
	return fmt.Sprintf("TwoStyle(%d)", int(s))
}

// MarshalText encodes the style as "er" or "liang" (for config files).
func (s TwoStyle) MarshalText() ([]byte, error) {
	if s != TwoEr && s != TwoLiang {
		return nil, fmt.Errorf("speech: unknown two style %d", int(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText accepts "er" / "二" or "liang" / "两".
func (s *TwoStyle) UnmarshalText(b []byte) error {
	switch strings.TrimSpace(string(b)) {
	case "er", "二", "":
		*s = TwoEr
	case "liang", "两":
		*s = TwoLiang
	default:
		return fmt.Errorf("speech: two style %q: want \"er\" or \"liang\"", b)
	}
	return nil
}

// AmountTokens reads an amount in fen as Mandarin yuan, ending with 元:
// 1250 → 十二点五元, 1 → 零点零一元, 100_0001_0000_00 → 一亿零一万元.
func AmountTokens(fen int64, two TwoStyle) ([]Token, error) {
	if fen < 0 {
		return nil, fmt.Errorf("%w: %d fen", ErrNegative, fen)
	}
	if fen > maxReadFen {
		return nil, fmt.Errorf("%w: %d fen is above %d", ErrOverflow, fen, maxReadFen)
	}
	yuan, jiao, f := fen/100, fen/10%10, fen%10
	toks := integerTokens(nil, yuan)
	if two == TwoLiang {
		applyLiang(toks, jiao == 0 && f == 0)
	}
	switch {
	case f != 0:
		toks = append(toks, Dian, digitTokens[jiao], digitTokens[f])
	case jiao != 0:
		toks = append(toks, Dian, digitTokens[jiao])
	}
	return append(toks, Yuan), nil
}

// AmountText is Text(AmountTokens(fen, two)).
func AmountText(fen int64, two TwoStyle) (string, error) {
	toks, err := AmountTokens(fen, two)
	if err != nil {
		return "", err
	}
	return Text(toks), nil
}

// countTokens reads a count before a measure word (3 笔). Grammar wants 两
// there (两笔, 两百笔), so counts always use the TwoLiang rules.
func countTokens(n int64) []Token {
	toks := integerTokens(nil, n)
	applyLiang(toks, true)
	return toks
}

// applyLiang rewrites the leading 二 of an integer reading in place, per the
// rules documented on TwoLiang. lone says whether a reading of exactly 二 may
// become 两 (true for 2.00 元 and for counts).
func applyLiang(toks []Token, lone bool) {
	if len(toks) == 0 || toks[0] != Er {
		return
	}
	if len(toks) == 1 {
		if lone {
			toks[0] = Liang
		}
		return
	}
	switch toks[1] {
	case Bai, Qian, Wan, YiUnit:
		toks[0] = Liang
	}
}

// integerTokens appends the reading of n (0 ≤ n < 10^16) to dst.
func integerTokens(dst []Token, n int64) []Token {
	if n == 0 {
		return append(dst, Ling)
	}
	return below1e16(dst, n, true)
}

// below1e16 reads 0 < n < 10^16 as [high 亿] [零] low, where high and low
// are below 10^8. leading says whether n starts the whole number (only then
// may 一十 shorten to 十).
func below1e16(dst []Token, n int64, leading bool) []Token {
	const yi = 100_000_000
	hi, lo := n/yi, n%yi
	if hi == 0 {
		return below1e8(dst, lo, leading)
	}
	dst = below1e8(dst, hi, leading)
	dst = append(dst, YiUnit)
	if lo == 0 {
		return dst
	}
	if lo < yi/10 { // a zero stands between 亿 and the rest
		dst = append(dst, Ling)
	}
	return below1e8(dst, lo, false)
}

// below1e8 reads 0 < n < 10^8 as [high 万] [零] low, both below 10^4.
func below1e8(dst []Token, n int64, leading bool) []Token {
	const wan = 10_000
	hi, lo := n/wan, n%wan
	if hi == 0 {
		return group(dst, lo, leading)
	}
	dst = group(dst, hi, leading)
	dst = append(dst, Wan)
	if lo == 0 {
		return dst
	}
	if lo < wan/10 {
		dst = append(dst, Ling)
	}
	return group(dst, lo, false)
}

// groupUnits are the units of the thousands, hundreds, tens and ones places.
var groupUnits = [4]Token{Qian, Bai, Shi, ""}

// group reads 0 < n < 10^4 from its highest non-zero digit: a run of zeros
// between digits is one 零, trailing zeros are silent, and a leading 一十 is
// read 十 when the group starts the whole number.
func group(dst []Token, n int64, leading bool) []Token {
	digits := [4]int64{n / 1000, n / 100 % 10, n / 10 % 10, n % 10}
	started, zero := false, false
	for i, d := range digits {
		if d == 0 {
			zero = started
			continue
		}
		if zero {
			dst = append(dst, Ling)
			zero = false
		}
		if !(leading && !started && i == 2 && d == 1) {
			dst = append(dst, digitTokens[d])
		}
		started = true
		if u := groupUnits[i]; u != "" {
			dst = append(dst, u)
		}
	}
	return dst
}
