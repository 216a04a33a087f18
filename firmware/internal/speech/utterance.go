package speech

import (
	"fmt"
	"strings"
)

// Utterance is one announcement: the text shown, printed or logged, and the
// tokens spoken. It is a plain value; to support "repeat last" a caller keeps
// the last Utterance (or only its Text, which Tokenize turns back into
// tokens) and hands it to Speaker.Repeat.
type Utterance struct {
	Text   string
	Tokens []Token
}

func utterance(toks []Token) Utterance {
	return Utterance{Text: Text(toks), Tokens: toks}
}

// ParseUtterance rebuilds an Utterance from its Text (e.g. from the journal).
func ParseUtterance(text string) (Utterance, error) {
	toks, err := Tokenize(text)
	if err != nil {
		return Utterance{}, err
	}
	return Utterance{Text: text, Tokens: toks}, nil
}

// Channel is the payment channel, which chooses the announcement's prefix.
type Channel int

const (
	// ChannelNone: no prefix, the amount alone ("十二点五元").
	ChannelNone Channel = iota
	// ChannelWeChat: 微信收款.
	ChannelWeChat
	// ChannelAlipay: 支付宝收款.
	ChannelAlipay
)

// String returns "none", "wechat" or "alipay".
func (c Channel) String() string {
	switch c {
	case ChannelNone:
		return "none"
	case ChannelWeChat:
		return "wechat"
	case ChannelAlipay:
		return "alipay"
	}
	return fmt.Sprintf("Channel(%d)", int(c))
}

// ParseChannel accepts "wechat", "alipay" or "none"/"" (case-insensitive).
func ParseChannel(s string) (Channel, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "none":
		return ChannelNone, nil
	case "wechat", "weixin", "wx":
		return ChannelWeChat, nil
	case "alipay", "zhifubao":
		return ChannelAlipay, nil
	}
	return 0, fmt.Errorf("speech: unknown channel %q (want wechat, alipay or none)", s)
}

func (c Channel) prefix() ([]Token, error) {
	switch c {
	case ChannelNone:
		return nil, nil
	case ChannelWeChat:
		return []Token{WeChatPaid}, nil
	case ChannelAlipay:
		return []Token{AlipayPaid}, nil
	}
	return nil, fmt.Errorf("speech: unknown channel %d", int(c))
}

// Payment is the announcement of one payment: 微信收款十二点五元.
func Payment(ch Channel, fen int64, two TwoStyle) (Utterance, error) {
	toks, err := ch.prefix()
	if err != nil {
		return Utterance{}, err
	}
	amt, err := AmountTokens(fen, two)
	if err != nil {
		return Utterance{}, err
	}
	return utterance(append(toks, amt...)), nil
}

// Refund is the announcement of a refund: 退款十二点五元.
func Refund(fen int64, two TwoStyle) (Utterance, error) {
	amt, err := AmountTokens(fen, two)
	if err != nil {
		return Utterance{}, err
	}
	return utterance(append([]Token{Refunded}, amt...)), nil
}

// OfflineSummary is the one announcement that replaces the payments older
// than the announce window (DESIGN §2): 离线期间收款三笔，共四十五点五元.
// count is read with 两 before the measure word (两笔) whatever the style;
// the total follows two.
func OfflineSummary(count int64, totalFen int64, two TwoStyle) (Utterance, error) {
	if count < 0 {
		return Utterance{}, fmt.Errorf("%w: count %d", ErrNegative, count)
	}
	if count > maxReadFen/100 {
		return Utterance{}, fmt.Errorf("%w: count %d", ErrOverflow, count)
	}
	amt, err := AmountTokens(totalFen, two)
	if err != nil {
		return Utterance{}, err
	}
	toks := append([]Token{OfflinePaid}, countTokens(count)...)
	toks = append(toks, Bi, Pause, Gong)
	return utterance(append(toks, amt...)), nil
}

// SoundCheck is what the stand says to let a clerk hear its volume: a
// count from one to five, with no channel prefix and no 元, so nobody at
// the counter takes it for a payment (a sample "微信收款十二点五元" was).
func SoundCheck() Utterance {
	return utterance([]Token{Yi, Pause, Er, Pause, San, Pause, Si, Pause, Wu})
}
