package biz

import (
	"errors"
	"fmt"
	"strconv"
)

// FenPerYuan is the number of fen in one yuan.
const FenPerYuan = 100

// MaxFen is the largest amount of money anything accepts or reads:
// 999 999 999 999.99 yuan (see the package doc for why this value).
const MaxFen int64 = 100_000_000_000_000 - 1

// Sentinel errors that every ParseYuan error wraps; branch with errors.Is.
var (
	// ErrEmpty: the text is empty.
	ErrEmpty = errors.New("biz: empty amount")
	// ErrSyntax: not ASCII digits with at most one '.' and digits on both
	// sides of it.
	ErrSyntax = errors.New("biz: not a plain decimal amount")
	// ErrPrecision: more than two digits after the '.'.
	ErrPrecision = errors.New("biz: more than two decimal places")
	// ErrNotPositive: the amount is zero.
	ErrNotPositive = errors.New("biz: amount is not greater than zero")
	// ErrOverMax: the amount is above MaxFen.
	ErrOverMax = errors.New("biz: amount above the maximum")
)

// FormatFen renders fen as yuan with exactly two decimals: 1250 → "12.50",
// -5 → "-0.05". It is the only place money becomes text.
func FormatFen(fen int64) string {
	u := uint64(fen)
	if fen < 0 {
		u = -u // two's complement: also right for math.MinInt64
	}
	b := make([]byte, 0, 24)
	if fen < 0 {
		b = append(b, '-')
	}
	b = strconv.AppendUint(b, u/FenPerYuan, 10)
	rest := u % FenPerYuan
	return string(append(b, '.', byte('0'+rest/10), byte('0'+rest%10)))
}

// Yuan renders fen with the full-width yuan sign, as screens and receipts
// show it: 1250 → "￥12.50", -5 → "-￥0.05". The full-width ￥ (U+FFE5) is
// used because the half-width ¥ has no two-byte GB18030 code and does not
// print on a thermal printer.
func Yuan(fen int64) string {
	if fen < 0 {
		return "-￥" + FormatFen(fen)[1:]
	}
	return "￥" + FormatFen(fen)
}

// ParseYuan parses yuan text into fen. It accepts exactly what FormatFen
// writes for a positive amount, and the same with one decimal or none:
// ASCII digits, optionally a '.' followed by one or two digits ("12",
// "12.5", "12.50", "007"). The amount must be greater than zero and at
// most MaxFen. Nothing else is accepted — no space, sign, exponent,
// separator, currency sign, or bare leading or trailing '.' — so what is
// announced or charged is exactly what was written. Every error wraps one
// of the sentinels above.
func ParseYuan(s string) (int64, error) {
	if s == "" {
		return 0, ErrEmpty
	}
	// Check the shape first, so that "1.234.5" is a syntax error rather
	// than a precision error.
	dot := -1
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
		case c == '.' && dot < 0:
			dot = i
		default:
			return 0, fmt.Errorf("%w: %q", ErrSyntax, s)
		}
	}
	intPart, frac := s, ""
	if dot >= 0 {
		intPart, frac = s[:dot], s[dot+1:]
		if intPart == "" || frac == "" {
			return 0, fmt.Errorf("%w: %q needs digits on both sides of '.'", ErrSyntax, s)
		}
	}
	if len(frac) > 2 {
		return 0, fmt.Errorf("%w: %q", ErrPrecision, s)
	}
	// Leading zeros are allowed; past them, an integer part longer than
	// MaxFen's yuan is over the maximum, which keeps the sum below free of
	// overflow.
	for len(intPart) > 1 && intPart[0] == '0' {
		intPart = intPart[1:]
	}
	if len(intPart) > maxYuanDigits {
		return 0, fmt.Errorf("%w: %q", ErrOverMax, s)
	}
	var fen int64
	for i := 0; i < len(intPart); i++ {
		fen = fen*10 + int64(intPart[i]-'0')
	}
	fen *= FenPerYuan
	for i, scale := 0, int64(10); i < len(frac); i, scale = i+1, scale/10 {
		fen += int64(frac[i]-'0') * scale
	}
	switch {
	case fen == 0:
		return 0, fmt.Errorf("%w: %q", ErrNotPositive, s)
	case fen > MaxFen:
		return 0, fmt.Errorf("%w: %q", ErrOverMax, s)
	}
	return fen, nil
}

// maxYuanDigits is the number of digits in MaxFen's whole yuan.
var maxYuanDigits = len(strconv.FormatInt(MaxFen/FenPerYuan, 10))
