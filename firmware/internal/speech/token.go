package speech

import (
	"fmt"
	"strings"
)

// Token is one spoken unit. Its value is the Chinese text it stands for; each
// token except Pause names exactly one clip of a voice Pack.
type Token string

// The tokens a stand can speak.
const (
	Ling   Token = "零"
	Yi     Token = "一"
	Er     Token = "二"
	San    Token = "三"
	Si     Token = "四"
	Wu     Token = "五"
	Liu    Token = "六"
	Qi     Token = "七"
	Ba     Token = "八"
	Jiu    Token = "九"
	Liang  Token = "两"
	Shi    Token = "十"
	Bai    Token = "百"
	Qian   Token = "千"
	Wan    Token = "万"
	YiUnit Token = "亿"
	Dian   Token = "点"
	Yuan   Token = "元"

	WeChatPaid  Token = "微信收款"
	AlipayPaid  Token = "支付宝收款"
	OfflinePaid Token = "离线期间收款" // "received while offline"
	Bi          Token = "笔"      // measure word for payments
	Gong        Token = "共"      // "in total"
	Refunded    Token = "退款"

	// Pause is a short silence (the pack's pause_ms), written "，" in text.
	// It has no clip.
	Pause Token = "，"
)

// digitTokens maps 0..9 to their tokens.
var digitTokens = [10]Token{Ling, Yi, Er, San, Si, Wu, Liu, Qi, Ba, Jiu}

// clipInfo describes the clip of a token: its file name stem and the
// tone-numbered pinyin the default pack is generated from (and a human
// speaker reads aloud).
type clipInfo struct {
	tok    Token
	pinyin string // space-separated syllables with tone numbers
}

// clipTable lists every token that has a clip, in a stable order.
var clipTable = []clipInfo{
	{Ling, "ling2"},
	{Yi, "yi1"},
	{Er, "er4"},
	{San, "san1"},
	{Si, "si4"},
	{Wu, "wu3"},
	{Liu, "liu4"},
	{Qi, "qi1"},
	{Ba, "ba1"},
	{Jiu, "jiu3"},
	{Liang, "liang3"},
	{Shi, "shi2"},
	{Bai, "bai3"},
	{Qian, "qian1"},
	{Wan, "wan4"},
	{YiUnit, "yi4"},
	{Dian, "dian3"},
	{Yuan, "yuan2"},
	{WeChatPaid, "wei1 xin4 shou1 kuan3"},
	{AlipayPaid, "zhi1 fu4 bao3 shou1 kuan3"},
	{OfflinePaid, "li2 xian4 qi1 jian1 shou1 kuan3"},
	{Bi, "bi3"},
	{Gong, "gong4"},
	{Refunded, "tui4 kuan3"},
}

// ClipSpec is one clip a voice pack must contain.
type ClipSpec struct {
	Token  Token
	File   string // file name inside the pack, e.g. "shi2.wav"
	Pinyin string // what is said, tone-numbered pinyin, e.g. "shi2"
}

// Clips lists every clip a complete voice pack holds, in a stable order.
func Clips() []ClipSpec {
	out := make([]ClipSpec, len(clipTable))
	for i, c := range clipTable {
		out[i] = ClipSpec{Token: c.tok, File: clipFile(c.pinyin), Pinyin: c.pinyin}
	}
	return out
}

func clipFile(pinyin string) string {
	return strings.ReplaceAll(pinyin, " ", "") + ".wav"
}

// HasClip reports whether t is spoken from a clip (every known token but Pause).
func (t Token) HasClip() bool {
	_, ok := clipIndex[t]
	return ok
}

// Known reports whether t is a token this package can speak.
func (t Token) Known() bool {
	return t == Pause || t.HasClip()
}

var clipIndex = func() map[Token]int {
	m := make(map[Token]int, len(clipTable))
	for i, c := range clipTable {
		m[c.tok] = i
	}
	return m
}()

// Text joins tokens into the text shown and logged for them.
func Text(tokens []Token) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteString(string(t))
	}
	return b.String()
}

// Tokenize splits announcement text back into tokens (longest match first),
// so a caller that kept only the text of the last announcement (the journal
// does) can speak it again. Text made by this package always tokenizes back to
// the tokens it was made from.
func Tokenize(text string) ([]Token, error) {
	var out []Token
	rest := text
	for rest != "" {
		best := Token("")
		for _, c := range clipTable {
			if len(c.tok) > len(best) && strings.HasPrefix(rest, string(c.tok)) {
				best = c.tok
			}
		}
		if best == "" && strings.HasPrefix(rest, string(Pause)) {
			best = Pause
		}
		if best == "" {
			return nil, fmt.Errorf("%w: %q at byte %d of %q", ErrUnknownText, firstRune(rest), len(text)-len(rest), text)
		}
		out = append(out, best)
		rest = rest[len(best):]
	}
	return out, nil
}

func firstRune(s string) string {
	for _, r := range s {
		return string(r)
	}
	return ""
}
