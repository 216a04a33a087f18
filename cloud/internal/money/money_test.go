package money

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/qrstand/qrstand/mqtt/biz"
)

// limit used by most rows: 50,000 yuan, a typical per-payment cap.
const testLimit = 5_000_000

func TestParseYuan(t *testing.T) {
	type want struct {
		Fen  int64
		Kind string // sentinel text, "" when ok
		ZH   string
		EN   string
	}
	kind := func(err error) string {
		if err == nil {
			return ""
		}
		return err.Error()
	}
	tests := []struct {
		in    string
		limit int64
		want  want
	}{
		// The inputs the issue names, each with its result and message.
		{"0", testLimit, want{Kind: kind(ErrNotPositive), ZH: "金额必须大于 0", EN: "The amount must be greater than zero."}},
		{"0.001", testLimit, want{Kind: kind(ErrPrecision), ZH: "金额最多保留两位小数（精确到分）", EN: "Amounts can have at most two decimal places."}},
		{"-1", testLimit, want{Kind: kind(ErrInvalid), ZH: "金额不能带正负号", EN: "Enter the amount without a sign."}},
		{"1e3", testLimit, want{Kind: kind(ErrInvalid), ZH: "金额不能用科学计数法，请直接输入数字", EN: "Enter the amount as plain digits, not in exponent form."}},
		{"１２", testLimit, want{Fen: 1200}}, // full-width digits are normalised
		{" 12.5 ", testLimit, want{Fen: 1250}},
		{"12.50", testLimit, want{Fen: 1250}},
		{"99999999.99", testLimit, want{Kind: kind(ErrOverLimit), ZH: "单笔金额不能超过 50000.00 元", EN: "A single payment cannot exceed 50000.00 yuan."}},
		{"99999999.99", 9_999_999_999, want{Fen: 9_999_999_999}},
		{"", testLimit, want{Kind: kind(ErrEmpty), ZH: "请输入金额", EN: "Please enter an amount."}},
		{"abc", testLimit, want{Kind: kind(ErrInvalid), ZH: "金额格式不对，请只输入数字和小数点", EN: "Invalid amount: enter digits and a decimal point only."}},
		{"12,5", testLimit, want{Kind: kind(ErrInvalid), ZH: "金额不能含逗号，小数请用“.”", EN: "No commas: use \".\" as the decimal point."}},
		// More edges.
		{"0.01", testLimit, want{Fen: 1}},
		{"0.00", testLimit, want{Kind: kind(ErrNotPositive), ZH: "金额必须大于 0", EN: "The amount must be greater than zero."}},
		{"50000", testLimit, want{Fen: 5_000_000}},
		{"50000.01", testLimit, want{Kind: kind(ErrOverLimit), ZH: "单笔金额不能超过 50000.00 元", EN: "A single payment cannot exceed 50000.00 yuan."}},
		{"１２．５", testLimit, want{Fen: 1250}},
		{"\u300012.5\t", testLimit, want{Fen: 1250}}, // ideographic space trimmed
		{"12.", testLimit, want{Fen: 1200}},
		{".5", testLimit, want{Fen: 50}},
		{"007", testLimit, want{Fen: 700}},
		{".", testLimit, want{Kind: kind(ErrInvalid), ZH: "金额格式不对，请输入数字", EN: "Invalid amount: please enter digits."}},
		{"1.2.3", testLimit, want{Kind: kind(ErrInvalid), ZH: "金额格式不对：只能有一个小数点", EN: "Invalid amount: use at most one decimal point."}},
		{"+5", testLimit, want{Kind: kind(ErrInvalid), ZH: "金额不能带正负号", EN: "Enter the amount without a sign."}},
		{"1,000", testLimit, want{Kind: kind(ErrInvalid), ZH: "金额不能含逗号，小数请用“.”", EN: "No commas: use \".\" as the decimal point."}},
		{"12 5", testLimit, want{Kind: kind(ErrInvalid), ZH: "金额格式不对，请只输入数字和小数点", EN: "Invalid amount: enter digits and a decimal point only."}},
		{"¥12", testLimit, want{Kind: kind(ErrInvalid), ZH: "金额格式不对，请只输入数字和小数点", EN: "Invalid amount: enter digits and a decimal point only."}},
		{"NaN", testLimit, want{Kind: kind(ErrInvalid), ZH: "金额格式不对，请只输入数字和小数点", EN: "Invalid amount: enter digits and a decimal point only."}},
		{"٣", testLimit, want{Kind: kind(ErrInvalid), ZH: "金额格式不对，请只输入数字和小数点", EN: "Invalid amount: enter digits and a decimal point only."}}, // Arabic-Indic digit
		{"99999999999999999999999", 0, want{Kind: kind(ErrOverLimit), ZH: "单笔金额不能超过 999999999999.99 元", EN: "A single payment cannot exceed 999999999999.99 yuan."}},
		{"999999999999.99", 0, want{Fen: biz.MaxFen}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			fen, err := ParseYuan(tt.in, tt.limit)
			got := want{Fen: fen}
			if err != nil {
				var ie *InputError
				if !errors.As(err, &ie) {
					t.Fatalf("error %v is not an *InputError", err)
				}
				got.Kind = kind(ie.Kind)
				got.ZH = ie.Message("zh-CN")
				got.EN = ie.Message("en")
				if !errors.Is(err, ie.Kind) {
					t.Errorf("errors.Is(err, %v) = false", ie.Kind)
				}
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("ParseYuan(%q, %d) mismatch (-got +want):\n%s", tt.in, tt.limit, diff)
			}
		})
	}
}

// FuzzRoundTrip: every positive amount up to biz.MaxFen survives Format→Parse.
func FuzzRoundTrip(f *testing.F) {
	for _, fen := range []int64{1, 9, 10, 99, 100, 1250, 9_999_999_999, biz.MaxFen} {
		f.Add(fen)
	}
	f.Fuzz(func(t *testing.T, fen int64) {
		if fen <= 0 || fen > biz.MaxFen {
			if _, err := ParseYuan(biz.FormatFen(fen), 0); err == nil {
				t.Fatalf("ParseYuan(biz.FormatFen(%d)) accepted an out-of-range amount", fen)
			}
			return
		}
		got, err := ParseYuan(biz.FormatFen(fen), 0)
		if err != nil || got != fen {
			t.Fatalf("ParseYuan(biz.FormatFen(%d)) = %d, %v", fen, got, err)
		}
	})
}

// FuzzParseYuan: any text either fails with an *InputError carrying both
// messages, or yields an in-range amount whose canonical form parses back
// to the same value.
func FuzzParseYuan(f *testing.F) {
	for _, s := range []string{"0", "0.001", "-1", "1e3", "１２", " 12.5 ", "12.50", "99999999.99", "", "abc", "12,5", ".", "12.", "١٢"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fen, err := ParseYuan(s, testLimit)
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) || ie.ZH == "" || ie.EN == "" {
				t.Fatalf("ParseYuan(%q): error without user messages: %v", s, err)
			}
			return
		}
		if fen <= 0 || fen > testLimit {
			t.Fatalf("ParseYuan(%q) = %d, outside (0, %d]", s, fen, testLimit)
		}
		again, err := ParseYuan(biz.FormatFen(fen), testLimit)
		if err != nil || again != fen {
			t.Fatalf("canonical %q of %q parses to %d, %v", biz.FormatFen(fen), s, again, err)
		}
	})
}
