package money

import (
	"errors"
	"strings"

	"github.com/qrstand/qrstand/mqtt/biz"
)

// ParseYuan parses an amount a customer or clerk typed in yuan and returns
// it in fen.
//
// It forgives what a person types but cannot see or means unambiguously —
// surrounding white space, full-width digits and full stop, a bare leading
// or trailing point (".5", "12.") — and then applies biz.ParseYuan, the one
// strict parser. limitFen is the largest amount allowed (inclusive); a
// limit ≤ 0 or above biz.MaxFen means biz.MaxFen. Every error is an
// *InputError that wraps one of the sentinels and carries a message for the
// user.
func ParseYuan(s string, limitFen int64) (int64, error) {
	if limitFen <= 0 || limitFen > biz.MaxFen {
		limitFen = biz.MaxFen
	}
	t := normalise(strings.TrimSpace(s))
	if t == "" {
		return 0, newError(ErrEmpty, s, "请输入金额", "Please enter an amount.")
	}
	if err := checkChars(s, t); err != nil {
		return 0, err
	}
	switch strings.Count(t, ".") {
	case 0:
	case 1:
		if t == "." {
			return 0, newError(ErrInvalid, s, "金额格式不对，请输入数字", "Invalid amount: please enter digits.")
		}
		// "12." and ".5" mean 12 and 0.5 to anyone who types them.
		t = strings.TrimSuffix(t, ".")
		if strings.HasPrefix(t, ".") {
			t = "0" + t
		}
	default:
		return 0, newError(ErrInvalid, s, "金额格式不对：只能有一个小数点", "Invalid amount: use at most one decimal point.")
	}
	fen, err := biz.ParseYuan(t)
	switch {
	case errors.Is(err, biz.ErrPrecision):
		return 0, newError(ErrPrecision, s, "金额最多保留两位小数（精确到分）", "Amounts can have at most two decimal places.")
	case errors.Is(err, biz.ErrNotPositive):
		return 0, newError(ErrNotPositive, s, "金额必须大于 0", "The amount must be greater than zero.")
	case errors.Is(err, biz.ErrOverMax):
		return 0, overLimit(s, limitFen)
	case err != nil: // the checks above leave no other shape error
		return 0, newError(ErrInvalid, s, "金额格式不对，请只输入数字和小数点", "Invalid amount: enter digits and a decimal point only.")
	case fen > limitFen:
		return 0, overLimit(s, limitFen)
	}
	return fen, nil
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
	y := biz.FormatFen(limitFen)
	return newError(ErrOverLimit, orig, "单笔金额不能超过 "+y+" 元", "A single payment cannot exceed "+y+" yuan.")
}
