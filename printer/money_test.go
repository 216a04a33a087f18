package printer

import (
	"math"
	"testing"
)

func TestFormatFen(t *testing.T) {
	tests := []struct {
		fen  int64
		want string
	}{
		{0, "0.00"}, {1, "0.01"}, {10, "0.10"}, {1250, "12.50"}, {100, "1.00"},
		{99999999, "999999.99"}, {-5, "-0.05"}, {-1250, "-12.50"},
		{math.MaxInt64, "92233720368547758.07"}, {math.MinInt64, "-92233720368547758.08"},
	}
	for _, tt := range tests {
		if got := FormatFen(tt.fen); got != tt.want {
			t.Errorf("FormatFen(%d) = %q, want %q", tt.fen, got, tt.want)
		}
	}
	if got := yuan(-1250); got != "-￥12.50" {
		t.Errorf("yuan(-1250) = %q", got)
	}
}

func TestMaskPayer(t *testing.T) {
	tests := map[string]string{
		"":                             "*",
		"李":                            "*",
		"李四":                           "李*",
		"欧阳小明":                         "欧**明",
		"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o": "oUp****eS6o",
	}
	for in, want := range tests {
		if got := maskPayer(in); got != want {
			t.Errorf("maskPayer(%q) = %q, want %q", in, got, want)
		}
	}
}
