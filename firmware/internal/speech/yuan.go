package speech

import (
	"fmt"
	"strconv"
)

// ParseYuan parses an amount typed by an operator ("12.50", "12.5", "3") into
// fen. It accepts ASCII digits with an optional '.' and one or two decimals;
// the amount must be above zero and at most MaxFen. Nothing else is accepted
// (no sign, spaces, exponent, thousands separator or currency sign), so what
// is spoken is exactly what was typed.
func ParseYuan(s string) (int64, error) {
	if s == "" {
		return 0, fmt.Errorf("%w: empty", ErrSyntax)
	}
	var yuan, frac int64
	intDigits, fracDigits := 0, 0
	dot := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.' && !dot:
			dot = true
		case c >= '0' && c <= '9' && !dot:
			intDigits++
			if yuan > MaxFen/100 { // keep going: a later bad byte is the better error
				continue
			}
			yuan = yuan*10 + int64(c-'0')
		case c >= '0' && c <= '9' && dot:
			fracDigits++
			if fracDigits > 2 {
				return 0, fmt.Errorf("%w: %q has more than two decimals", ErrSyntax, s)
			}
			frac = frac*10 + int64(c-'0')
		default:
			return 0, fmt.Errorf("%w: %q: unexpected %q at byte %d (want digits and at most one '.')", ErrSyntax, s, firstRune(s[i:]), i)
		}
	}
	if intDigits == 0 {
		return 0, fmt.Errorf("%w: %q has no digits before '.'", ErrSyntax, s)
	}
	if dot && fracDigits == 0 {
		return 0, fmt.Errorf("%w: %q has no digits after '.'", ErrSyntax, s)
	}
	if fracDigits == 1 {
		frac *= 10
	}
	if yuan > MaxFen/100 {
		return 0, fmt.Errorf("%w: %q is above %s yuan", ErrOverflow, s, FormatYuan(MaxFen))
	}
	fen := yuan*100 + frac
	if fen == 0 {
		return 0, fmt.Errorf("%w: %q", ErrNotPositive, s)
	}
	return fen, nil
}

// FormatYuan formats fen as yuan with two decimals ("12.50", "-0.01").
func FormatYuan(fen int64) string {
	sign := ""
	u := uint64(fen)
	if fen < 0 {
		sign, u = "-", uint64(-fen) // -MinInt64 wraps to itself, which is right as uint64
	}
	return sign + strconv.FormatUint(u/100, 10) + "." + fmt.Sprintf("%02d", u%100)
}
