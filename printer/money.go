package printer

import "strconv"

// FormatFen formats an amount in fen (分) as yuan with two decimals:
// 1250 → "12.50", -5 → "-0.05". It is the only place money becomes text.
func FormatFen(fen int64) string {
	neg := fen < 0
	u := uint64(fen)
	if neg {
		u = -u // two's complement: correct for math.MinInt64 too
	}
	s := strconv.FormatUint(u/100, 10) + "." + string(rune('0'+u%100/10)) + string(rune('0'+u%10))
	if neg {
		return "-" + s
	}
	return s
}

// yuan is an amount with the full-width yuan sign, as printed. The
// half-width ¥ (U+00A5) has no two-byte GB18030 code and does not print.
func yuan(fen int64) string {
	if fen < 0 {
		return "-￥" + FormatFen(fen)[1:]
	}
	return "￥" + FormatFen(fen)
}
