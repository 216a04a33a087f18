package money

import (
	"strconv"
	"strings"
)

// FenPerYuan is the number of fen in one yuan.
const FenPerYuan = 100

// MaxFen is the hard ceiling ParseYuan ever accepts, whatever limit a
// caller passes: 10¹² yuan minus one fen, far above any payment and far
// below int64 overflow.
const MaxFen int64 = 100_000_000_000_000 - 1

// ParseYuan parses an amount typed in yuan and returns it in fen.
//
// limitFen is the largest amount allowed (inclusive); a limit ≤ 0 or above
// MaxFen means MaxFen. Every error is an *InputError that wraps one of the
// sentinels below and carries a message for the user.
func ParseYuan(s string, limitFen int64) (int64, error) {
	if limitFen <= 0 || limitFen > MaxFen {
		limitFen = MaxFen
	}
	t := normalise(strings.TrimSpace(s))
	if t == "" {
		return 0, newError(ErrEmpty, s, "请输入金额", "Please enter an amount.")
	}
	if err := checkChars(s, t); err != nil {
		return 0, err
	}
	intPart, frac, _ := strings.Cut(t, ".")
	if strings.Contains(frac, ".") {
		return 0, newError(ErrInvalid, s, "金额格式不对：只能有一个小数点", "Invalid amount: use at most one decimal point.")
	}
	if intPart == "" && frac == "" {
		return 0, newError(ErrInvalid, s, "金额格式不对，请输入数字", "Invalid amount: please enter digits.")
	}
	if len(frac) > 2 {
		return 0, newError(ErrPrecision, s, "金额最多保留两位小数（精确到分）", "Amounts can have at most two decimal places.")
	}
	intPart = strings.TrimLeft(intPart, "0")
	// Any integer part longer than MaxFen's yuan digits is over every limit;
	// checking length first keeps the arithmetic below free of overflow.
	if len(intPart) > len(strconv.FormatInt(MaxFen/FenPerYuan, 10)) {
		return 0, overLimit(s, limitFen)
	}
	var fen int64
	for _, c := range intPart {
		fen = fen*10 + int64(c-'0')
	}
	fen *= FenPerYuan
	for i := 0; i < 2; i++ {
		d := int64(0)
		if i < len(frac) {
			d = int64(frac[i] - '0')
		}
		if i == 0 {
			d *= 10
		}
		fen += d
	}
	if fen <= 0 {
		return 0, newError(ErrNotPositive, s, "金额必须大于 0", "The amount must be greater than zero.")
	}
	if fen > limitFen {
		return 0, overLimit(s, limitFen)
	}
	return fen, nil
}

// FormatYuan renders fen as yuan with exactly two decimals: 1250 → "12.50",
// -5 → "-0.05".
func FormatYuan(fen int64) string {
	neg := fen < 0
	u := uint64(fen)
	if neg {
		u = -u // two's complement: also right for math.MinInt64
	}
	yuan, rest := u/FenPerYuan, u%FenPerYuan
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	b.WriteString(strconv.FormatUint(yuan, 10))
	b.WriteByte('.')
	b.WriteByte(byte('0' + rest/10))
	b.WriteByte(byte('0' + rest%10))
	return b.String()
}

// normalise maps full-width digits (U+FF10–U+FF19) and the full-width full
// stop (U+FF0E) to ASCII. Nothing else is mapped.
func normalise(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r >= 0xFF0E && r <= 0xFF19 }) {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９':
			return '0' + (r - '０')
		case r == '．':
			return '.'
		}
		return r
	}, s)
}

// checkChars rejects anything but ASCII digits and '.', naming the most
// likely mistake in the message.
func checkChars(orig, t string) error {
	for _, c := range t {
		if c >= '0' && c <= '9' || c == '.' {
			continue
		}
		switch c {
		case '-', '+', '−', '－', '＋':
			return newError(ErrInvalid, orig, "金额不能带正负号", "Enter the amount without a sign.")
		case ',', '，', '、':
			return newError(ErrInvalid, orig, "金额不能含逗号，小数请用“.”", "No commas: use \".\" as the decimal point.")
		case 'e', 'E':
			return newError(ErrInvalid, orig, "金额不能用科学计数法，请直接输入数字", "Enter the amount as plain digits, not in exponent form.")
		}
		return newError(ErrInvalid, orig, "金额格式不对，请只输入数字和小数点", "Invalid amount: enter digits and a decimal point only.")
	}
	return nil
}

func overLimit(orig string, limitFen int64) error {
	y := FormatYuan(limitFen)
	return newError(ErrOverLimit, orig, "单笔金额不能超过 "+y+" 元", "A single payment cannot exceed "+y+" yuan.")
}
