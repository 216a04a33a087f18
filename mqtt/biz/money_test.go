package biz

import (
	"errors"
	"math"
	"regexp"
	"testing"
)

func TestFormatFen(t *testing.T) {
	tests := []struct {
		fen  int64
		want string
	}{
		{0, "0.00"}, {1, "0.01"}, {10, "0.10"}, {100, "1.00"}, {1250, "12.50"},
		{99999999, "999999.99"}, {9_999_999_999, "99999999.99"}, {MaxFen, "999999999999.99"},
		{-1, "-0.01"}, {-5, "-0.05"}, {-1250, "-12.50"},
		{math.MaxInt64, "92233720368547758.07"}, {math.MinInt64, "-92233720368547758.08"},
	}
	for _, tt := range tests {
		if got := FormatFen(tt.fen); got != tt.want {
			t.Errorf("FormatFen(%d) = %q, want %q", tt.fen, got, tt.want)
		}
	}
}

func TestYuan(t *testing.T) {
	for fen, want := range map[int64]string{
		0: "￥0.00", 5: "￥0.05", 1250: "￥12.50", 100000000: "￥1000000.00",
		-5: "-￥0.05", -199: "-￥1.99", -1250: "-￥12.50", math.MinInt64: "-￥92233720368547758.08",
	} {
		if got := Yuan(fen); got != want {
			t.Errorf("Yuan(%d) = %q, want %q", fen, got, want)
		}
	}
}

func TestParseYuan(t *testing.T) {
	tests := []struct {
		in   string
		fen  int64
		want error
	}{
		{"12.50", 1250, nil},
		{"12.5", 1250, nil},
		{"12", 1200, nil},
		{"0.01", 1, nil},
		{"0.1", 10, nil},
		{"007", 700, nil},
		{"00.10", 10, nil},
		{"99999999.99", 9_999_999_999, nil},
		{"999999999999.99", MaxFen, nil},
		{"0999999999999.99", MaxFen, nil},
		{"1000000000000", 0, ErrOverMax},
		{"99999999999999999999999999", 0, ErrOverMax},
		{"0", 0, ErrNotPositive},
		{"0.00", 0, ErrNotPositive},
		{"000", 0, ErrNotPositive},
		{"", 0, ErrEmpty},
		{"1.234", 0, ErrPrecision},
		{"0.001", 0, ErrPrecision},
		{"-1", 0, ErrSyntax},
		{"+1", 0, ErrSyntax},
		{"1.", 0, ErrSyntax},
		{".5", 0, ErrSyntax},
		{".", 0, ErrSyntax},
		{"1.2.3", 0, ErrSyntax},
		{"1.234.5", 0, ErrSyntax},
		{" 1", 0, ErrSyntax},
		{"1 ", 0, ErrSyntax},
		{"1,000", 0, ErrSyntax},
		{"1e3", 0, ErrSyntax},
		{"¥12", 0, ErrSyntax},
		{"１２", 0, ErrSyntax}, // full-width digits are the cloud's to normalise
		{"٣", 0, ErrSyntax},  // Arabic-Indic digit
		{"NaN", 0, ErrSyntax},
		{"99999999999999999999x", 0, ErrSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseYuan(tt.in)
			if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Fatalf("ParseYuan(%q) error = %v, want %v", tt.in, err, tt.want)
			}
			if got != tt.fen {
				t.Errorf("ParseYuan(%q) = %d, want %d", tt.in, got, tt.fen)
			}
		})
	}
}

var yuanSyntax = regexp.MustCompile(`^[0-9]+(\.[0-9]{1,2})?$`)

// FuzzParseYuan: any input is either rejected with exactly one of the
// sentinels, or is plain yuan syntax whose value lies in (0, MaxFen] and
// survives FormatFen → ParseYuan.
func FuzzParseYuan(f *testing.F) {
	for _, s := range []string{"12.50", "0.01", "0", "1.", ".5", "1.234", "-3", "999999999999.99", "1000000000000", "1e9", "", "00.10", "１２"} {
		f.Add(s)
	}
	sentinels := []error{ErrEmpty, ErrSyntax, ErrPrecision, ErrNotPositive, ErrOverMax}
	f.Fuzz(func(t *testing.T, s string) {
		fen, err := ParseYuan(s)
		if err != nil {
			n := 0
			for _, e := range sentinels {
				if errors.Is(err, e) {
					n++
				}
			}
			if n != 1 || fen != 0 {
				t.Fatalf("ParseYuan(%q) = %d, %v: want 0 and exactly one sentinel", s, fen, err)
			}
			// A shape error exactly when the text is not plain yuan syntax.
			shape := errors.Is(err, ErrEmpty) || errors.Is(err, ErrSyntax) || errors.Is(err, ErrPrecision)
			if shape == yuanSyntax.MatchString(s) {
				t.Fatalf("ParseYuan(%q): %v disagrees with the syntax", s, err)
			}
			return
		}
		if !yuanSyntax.MatchString(s) {
			t.Fatalf("ParseYuan(%q) accepted bad syntax", s)
		}
		if fen <= 0 || fen > MaxFen {
			t.Fatalf("ParseYuan(%q) = %d, out of range", s, fen)
		}
		if back, err := ParseYuan(FormatFen(fen)); err != nil || back != fen {
			t.Fatalf("ParseYuan(FormatFen(%d)) = %d, %v", fen, back, err)
		}
	})
}

// FuzzFormatFen: every amount reads back through an independent route, and
// every positive amount up to MaxFen parses back to itself.
func FuzzFormatFen(f *testing.F) {
	for _, fen := range []int64{0, 1, -1, 1250, MaxFen, MaxFen + 1, math.MaxInt64, math.MinInt64} {
		f.Add(fen)
	}
	formatted := regexp.MustCompile(`^-?[0-9]+\.[0-9]{2}$`)
	f.Fuzz(func(t *testing.T, fen int64) {
		s := FormatFen(fen)
		if !formatted.MatchString(s) {
			t.Fatalf("FormatFen(%d) = %q", fen, s)
		}
		if fen > 0 && fen <= MaxFen {
			if back, err := ParseYuan(s); err != nil || back != fen {
				t.Fatalf("ParseYuan(FormatFen(%d)) = %d, %v", fen, back, err)
			}
		}
	})
}
