package speech

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/qrstand/qrstand/mqtt/biz"
)

// The expected readings below were worked out by hand from the rules in
// shared/reference/mandarin-amounts.md, not copied from the code's output.
var amountCases = []struct {
	fen   int64
	er    string
	liang string // reading with TwoLiang; "" means the same as er
}{
	{1, "零点零一元", ""},            // 0.01
	{10, "零点一元", ""},            // 0.10
	{100, "一元", ""},             // 1
	{200, "二元", "两元"},           // 2
	{1000, "十元", ""},            // 10
	{1005, "十点零五元", ""},         // 10.05
	{1250, "十二点五元", ""},         // 12.50
	{10010, "一百点一元", ""},        // 100.10
	{11000, "一百一十元", ""},        // 110
	{100500, "一千零五元", ""},       // 1005
	{1000500, "一万零五元", ""},      // 10005
	{10001200, "十万零一十二元", ""},   // 100012
	{10001000000, "一亿零一万元", ""}, // 100010000
	{9999999999, "九千九百九十九万九千九百九十九点九九元", ""}, // 99999999.99
	{0, "零元", ""},
	{5, "零点零五元", ""},
	{50, "零点五元", ""},
	{99, "零点九九元", ""},
	{1100, "十一元", ""},
	{1990, "十九点九元", ""},
	{2000, "二十元", ""},
	{2200, "二十二元", ""},
	{250, "二点五元", ""},
	{202, "二点零二元", ""},
	{1010, "十点一元", ""},
	{10001, "一百点零一元", ""},
	{10100, "一百零一元", ""},
	{11100, "一百一十一元", ""},
	{20000, "二百元", "两百元"},
	{100000, "一千元", ""},
	{100100, "一千零一元", ""},
	{101000, "一千零一十元", ""},
	{110000, "一千一百元", ""},
	{120000, "一千二百元", ""},
	{200202, "二千零二点零二元", "两千零二点零二元"},
	{222000, "二千二百二十元", "两千二百二十元"},
	{1000000, "一万元", ""},
	{1001000, "一万零一十元", ""},
	{1010000, "一万零一百元", ""},
	{1100000, "一万一千元", ""},
	{2000000, "二万元", "两万元"},
	{10000000, "十万元", ""},
	{12000000, "十二万元", ""},
	{15000000, "十五万元", ""},
	{101010100, "一百零一万零一百零一元", ""},
	{500005000, "五百万零五十元", ""},
	{100000000, "一百万元", ""},
	{1000000000, "一千万元", ""},
	{1000100000, "一千万一千元", ""},
	{1000000100, "一千万零一元", ""},
	{1000001000, "一千万零一十元", ""},
	{10000000000, "一亿元", ""},
	{10000000100, "一亿零一元", ""},
	{10100000000, "一亿零一百万元", ""},
	{11000000000, "一亿一千万元", ""},
	{20000000000, "二亿元", "两亿元"},
	{12345678901, "一亿二千三百四十五万六千七百八十九点零一元", ""},
	{100000000000, "十亿元", ""},
	{200000000000, "二十亿元", ""},
	{2000000000000, "二百亿元", "两百亿元"},
	{20000000000000, "二千亿元", "两千亿元"},
	{100000000000000, "一万亿元", ""},
	{100020000000000, "一万零二亿元", ""},
	{100000003000000, "一万亿零三万元", ""},
	{biz.MaxFen, "九千九百九十九亿九千九百九十九万九千九百九十九点九九元", ""}, // the money maximum
	{maxReadFen, "九千九百九十九万九千九百九十九亿九千九百九十九万九千九百九十九点九九元", ""},
}

func TestAmountText(t *testing.T) {
	if len(amountCases) < 40 {
		t.Fatalf("table has %d amounts, want at least 40", len(amountCases))
	}
	for _, tc := range amountCases {
		t.Run(fmt.Sprintf("%s/er", biz.FormatFen(tc.fen)), func(t *testing.T) {
			got, err := AmountText(tc.fen, TwoEr)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(got, tc.er); diff != "" {
				t.Errorf("AmountText(%d) (-got +want):\n%s", tc.fen, diff)
			}
		})
		want := tc.liang
		if want == "" {
			want = tc.er
		}
		t.Run(fmt.Sprintf("%s/liang", biz.FormatFen(tc.fen)), func(t *testing.T) {
			got, err := AmountText(tc.fen, TwoLiang)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(got, want); diff != "" {
				t.Errorf("AmountText(%d, liang) (-got +want):\n%s", tc.fen, diff)
			}
		})
	}
}

func TestAmountTokensMatchText(t *testing.T) {
	for _, tc := range amountCases {
		toks, err := AmountTokens(tc.fen, TwoEr)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Tokenize(tc.er)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(toks, back); diff != "" {
			t.Errorf("%d: tokens differ from Tokenize(text) (-got +want):\n%s", tc.fen, diff)
		}
	}
}

func TestAmountErrors(t *testing.T) {
	for _, tc := range []struct {
		fen  int64
		want error
	}{
		{-1, ErrNegative},
		{-1 << 63, ErrNegative},
		{maxReadFen + 1, ErrOverflow},
		{1<<63 - 1, ErrOverflow},
	} {
		t.Run(fmt.Sprint(tc.fen), func(t *testing.T) {
			_, err := AmountText(tc.fen, TwoEr)
			if !errors.Is(err, tc.want) {
				t.Fatalf("AmountText(%d) error = %v, want %v", tc.fen, err, tc.want)
			}
		})
	}
}

func TestAnnouncements(t *testing.T) {
	for _, tc := range []struct {
		name string
		make func() (Utterance, error)
		want string
	}{
		{"wechat", func() (Utterance, error) { return Payment(ChannelWeChat, 1250, TwoEr) }, "微信收款十二点五元"},
		{"alipay", func() (Utterance, error) { return Payment(ChannelAlipay, 200, TwoLiang) }, "支付宝收款两元"},
		{"none", func() (Utterance, error) { return Payment(ChannelNone, 1, TwoEr) }, "零点零一元"},
		{"refund", func() (Utterance, error) { return Refund(1005, TwoEr) }, "退款十点零五元"},
		{"summary", func() (Utterance, error) { return OfflineSummary(3, 4550, TwoEr) }, "离线期间收款三笔，共四十五点五元"},
		{"summary two", func() (Utterance, error) { return OfflineSummary(2, 20000, TwoEr) }, "离线期间收款两笔，共二百元"},
		{"summary 200", func() (Utterance, error) { return OfflineSummary(200, 20000, TwoLiang) }, "离线期间收款两百笔，共两百元"},
		{"summary 12", func() (Utterance, error) { return OfflineSummary(12, 100, TwoEr) }, "离线期间收款十二笔，共一元"},
		{"summary 500", func() (Utterance, error) { return OfflineSummary(500, 50000000, TwoEr) }, "离线期间收款五百笔，共五十万元"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, err := tc.make()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(u.Text, tc.want); diff != "" {
				t.Errorf("text (-got +want):\n%s", diff)
			}
			p, err := ParseUtterance(u.Text)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(p, u); diff != "" {
				t.Errorf("ParseUtterance(text) (-got +want):\n%s", diff)
			}
		})
	}
}

func TestAnnouncementErrors(t *testing.T) {
	if _, err := Payment(Channel(9), 100, TwoEr); err == nil {
		t.Error("Payment with unknown channel: no error")
	}
	if _, err := Refund(-5, TwoEr); !errors.Is(err, ErrNegative) {
		t.Errorf("Refund(-5) error = %v, want ErrNegative", err)
	}
	if _, err := OfflineSummary(-1, 100, TwoEr); !errors.Is(err, ErrNegative) {
		t.Errorf("OfflineSummary(-1) error = %v, want ErrNegative", err)
	}
	if _, err := OfflineSummary(1, maxReadFen+1, TwoEr); !errors.Is(err, ErrOverflow) {
		t.Errorf("OfflineSummary total overflow error = %v, want ErrOverflow", err)
	}
}

func TestTokenizeUnknown(t *testing.T) {
	_, err := Tokenize("微信收款十二块")
	if !errors.Is(err, ErrUnknownText) {
		t.Fatalf("Tokenize error = %v, want ErrUnknownText", err)
	}
}

func TestTwoStyleText(t *testing.T) {
	for _, s := range []TwoStyle{TwoEr, TwoLiang} {
		b, err := s.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back TwoStyle
		if err := back.UnmarshalText(b); err != nil || back != s {
			t.Errorf("round trip %v → %q → %v, %v", s, b, back, err)
		}
	}
	var s TwoStyle
	if err := s.UnmarshalText([]byte("three")); err == nil {
		t.Error("UnmarshalText(three): no error")
	}
}
