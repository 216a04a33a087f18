package printer

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/qrstand/qrstand/printer/escpos"
)

func TestWrap(t *testing.T) {
	tests := []struct {
		name string
		in   string
		cols int
		want []string
	}{
		{"fits", "微信支付", 8, []string{"微信支付"}},
		{"chinese never split", "微信支付收款", 5, []string{"微信", "支付", "收款"}},
		{"mixed keeps the word", "订单号QS2026", 8, []string{"订单号", "QS2026"}},
		{"mixed", "订单号QS2026", 4, []string{"订单", "号QS", "2026"}},
		{"words", "hello big world", 9, []string{"hello big", "world"}},
		{"long word", "ABCDEFGHIJ", 4, []string{"ABCD", "EFGH", "IJ"}},
		{"word after chinese", "老王 noodles", 8, []string{"老王", "noodles"}},
		{"newline", "a\nb", 8, []string{"a", "b"}},
		{"empty", "", 8, []string{""}},
		{"emoji replaced", "a😀b", 3, []string{"a□", "b"}},
		{"odd width", "一二三", 5, []string{"一二", "三"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Wrap(tt.in, tt.cols)
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("Wrap(%q, %d) (-got +want):\n%s", tt.in, tt.cols, diff)
			}
			for _, l := range got {
				if w := escpos.Width(l); w > tt.cols {
					t.Errorf("line %q is %d wide", l, w)
				}
			}
		})
	}
}

func TestPadAndPair(t *testing.T) {
	if got := Pad("中", 5, escpos.Center); got != " 中  " {
		t.Errorf("Pad center = %q", got)
	}
	if got := Pad("ab", 4, escpos.Right); got != "  ab" {
		t.Errorf("Pad right = %q", got)
	}
	if diff := cmp.Diff(Pair("时间", "21:03", 12), []string{"时间   21:03"}); diff != "" {
		t.Errorf("Pair (-got +want):\n%s", diff)
	}
	if diff := cmp.Diff(Pair("订单号", "QS20261125", 12), []string{"订单号", "  QS20261125"}); diff != "" {
		t.Errorf("Pair wrapped (-got +want):\n%s", diff)
	}
	if diff := cmp.Diff(Pair("原因", "顾客要求退款谢谢", 12), []string{"原因", "顾客要求退款", "谢谢"}); diff != "" {
		t.Errorf("Pair running text (-got +want):\n%s", diff)
	}
}

// FuzzWrap: wrapping keeps every printable character in order, never
// exceeds the width, and never splits a character.
func FuzzWrap(f *testing.F) {
	f.Add("老王牛肉面（人民路店） hello world", 7)
	f.Add("QS20261125210304000017", 3)
	f.Fuzz(func(t *testing.T, s string, cols int) {
		if cols < 2 || cols > 64 {
			return
		}
		lines := Wrap(s, cols)
		var joined, want []rune
		for _, l := range lines {
			if w := escpos.Width(l); w > cols {
				t.Fatalf("line %q is %d wide, max %d", l, w, cols)
			}
			for _, r := range l {
				if r != ' ' {
					joined = append(joined, r)
				}
			}
		}
		for _, r := range escpos.Printable(s) {
			if r != ' ' && r != '\n' {
				want = append(want, r)
			}
		}
		if string(joined) != string(want) {
			t.Fatalf("Wrap(%q, %d) lost characters: %q", s, cols, lines)
		}
	})
}
