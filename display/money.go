package display

import "strconv"

// yuan formats fen as "￥12.50" (full-width ￥, as on receipts).
func yuan(fen int64) string {
	sign := ""
	u := uint64(fen)
	if fen < 0 {
		sign = "-"
		u = -u
	}
	frac := strconv.FormatUint(u%100, 10)
	if len(frac) == 1 {
		frac = "0" + frac
	}
	return sign + "￥" + strconv.FormatUint(u/100, 10) + "." + frac
}
