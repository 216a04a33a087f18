package speech

import (
	"errors"
	"regexp"
	"testing"
)

func TestParseYuan(t *testing.T) {
	for _, tc := range []struct {
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
		{"99999999.99", 9999999999, nil},
		{"9999999999999999.99", MaxFen, nil},
		{"10000000000000000", 0, ErrOverflow},
		{"99999999999999999999999999", 0, ErrOverflow},
		{"0", 0, ErrNotPositive},
		{"0.00", 0, ErrNotPositive},
		{"", 0, ErrSyntax},
		{"-1", 0, ErrSyntax},
		{"+1", 0, ErrSyntax},
		{"1.", 0, ErrSyntax},
		{".5", 0, ErrSyntax},
		{"1.234", 0, ErrSyntax},
		{"1.2.3", 0, ErrSyntax},
		{" 1", 0, ErrSyntax},
		{"1,000", 0, ErrSyntax},
		{"1e3", 0, ErrSyntax},
		{"¥12", 0, ErrSyntax},
		{"１２", 0, ErrSyntax}, // full-width digits
		{"99999999999999999999x", 0, ErrSyntax},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseYuan(tc.in)
			if !errors.Is(err, tc.want) {
				t.Fatalf("ParseYuan(%q) error = %v, want %v", tc.in, err, tc.want)
			}
			if got != tc.fen {
				t.Errorf("ParseYuan(%q) = %d, want %d", tc.in, got, tc.fen)
			}
		})
	}
}

func TestFormatYuan(t *testing.T) {
	for fen, want := range map[int64]string{
		0: "0.00", 1: "0.01", 10: "0.10", 1250: "12.50", -1: "-0.01",
		-1 << 63: "-92233720368547758.08", 1<<63 - 1: "92233720368547758.07",
	} {
		if got := FormatYuan(fen); got != want {
			t.Errorf("FormatYuan(%d) = %q, want %q", fen, got, want)
		}
	}
}

var yuanSyntax = regexp.MustCompile(`^[0-9]+(\.[0-9]{1,2})?$`)

// FuzzParseYuan: any input is either rejected with one of the documented
// errors, or is plain yuan syntax whose value lies in (0, MaxFen] and formats
// back to the same amount.
func FuzzParseYuan(f *testing.F) {
	for _, s := range []string{"12.50", "0.01", "0", "1.", ".5", "1.234", "-3", "9999999999999999.99", "10000000000000000", "1e9", "", "00.10"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fen, err := ParseYuan(s)
		if err != nil {
			if !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrOverflow) && !errors.Is(err, ErrNotPositive) {
				t.Fatalf("ParseYuan(%q): undocumented error %v", s, err)
			}
			if errors.Is(err, ErrSyntax) == yuanSyntax.MatchString(s) {
				t.Fatalf("ParseYuan(%q): ErrSyntax=%v disagrees with the syntax", s, errors.Is(err, ErrSyntax))
			}
			return
		}
		if !yuanSyntax.MatchString(s) {
			t.Fatalf("ParseYuan(%q) accepted bad syntax", s)
		}
		if fen <= 0 || fen > MaxFen {
			t.Fatalf("ParseYuan(%q) = %d, out of range", s, fen)
		}
		back, err := ParseYuan(FormatYuan(fen))
		if err != nil || back != fen {
			t.Fatalf("ParseYuan(FormatYuan(%d)) = %d, %v", fen, back, err)
		}
		if _, err := AmountTokens(fen, TwoEr); err != nil {
			t.Fatalf("AmountTokens(%d) after ParseYuan(%q): %v", fen, s, err)
		}
	})
}
