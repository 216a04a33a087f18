package printer

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/qrstand/qrstand/mqtt/biz"
	"github.com/qrstand/qrstand/printer/escpos"
)

// Document is something the printer prints: Payment, Refund, Shift,
// DailySummary, CatchUp or TestPage.
type Document interface {
	// Validate reports content that cannot be printed meaningfully.
	Validate() error
	layout(b *builder)
}

// Validate implements Document.
func (p Payment) Validate() error {
	switch {
	case p.AmountFen <= 0:
		return fmt.Errorf("%w: payment amount %d fen", ErrDocument, p.AmountFen)
	case p.PaidAt.IsZero():
		return fmt.Errorf("%w: payment without a time", ErrDocument)
	case p.OrderNo == "":
		return fmt.Errorf("%w: payment without an order number", ErrDocument)
	}
	return p.Channel.validate()
}

func (p Payment) layout(b *builder) {
	b.header(p.Store, p.Channel.Label()+" 收款凭证", p.Reprint)
	b.amount("", p.AmountFen)
	b.rule()
	b.pair("时间", clock(p.PaidAt))
	b.pair("订单号", p.OrderNo)
	if p.TransactionID != "" {
		b.pair("交易号尾号", tail(p.TransactionID, 8))
	}
	if p.Payer != "" {
		b.pair("付款人", maskPayer(p.Payer))
	}
	if p.Clerk != "" {
		b.pair("收银员", p.Clerk)
	}
	// The customer typed the remark: a line break in it must not forge a
	// line of the receipt, so whitespace runs become one space.
	if remark := strings.Join(strings.Fields(p.Remark), " "); remark != "" {
		b.pair("备注", remark)
	}
	if p.OrderURL != "" {
		b.qr(p.OrderURL)
		b.center("扫码查看订单")
	} else {
		b.rule()
	}
	b.center("谢谢惠顾")
}

// Validate implements Document.
func (r Refund) Validate() error {
	switch {
	case r.AmountFen <= 0:
		return fmt.Errorf("%w: refund amount %d fen", ErrDocument, r.AmountFen)
	case r.OrderAmountFen < r.AmountFen:
		return fmt.Errorf("%w: refund of %d fen exceeds order amount %d fen", ErrDocument, r.AmountFen, r.OrderAmountFen)
	case r.RefundedAt.IsZero():
		return fmt.Errorf("%w: refund without a time", ErrDocument)
	case r.OrderNo == "":
		return fmt.Errorf("%w: refund without an order number", ErrDocument)
	}
	return r.Channel.validate()
}

func (r Refund) layout(b *builder) {
	b.header(r.Store, r.Channel.Label()+" 退款凭证", r.Reprint)
	b.center("退款金额")
	b.amount("", r.AmountFen)
	b.rule()
	b.pair("退款时间", clock(r.RefundedAt))
	b.pair("原订单号", r.OrderNo)
	if r.RefundNo != "" {
		b.pair("退款单号", r.RefundNo)
	}
	b.pair("订单金额", biz.Yuan(r.OrderAmountFen))
	if r.Operator != "" {
		b.pair("操作人", r.Operator)
	}
	if r.Reason != "" {
		b.pair("退款原因", r.Reason)
	}
	b.rule()
	b.center("退款将原路退回")
}

// Validate implements Document.
func (s Shift) Validate() error {
	switch {
	case s.Clerk == "":
		return fmt.Errorf("%w: shift without a clerk", ErrDocument)
	case s.Start.IsZero() || s.End.Before(s.Start):
		return fmt.Errorf("%w: shift from %v to %v", ErrDocument, s.Start, s.End)
	case s.Count < 0 || s.TotalFen < 0 || s.RefundCount < 0 || s.RefundFen < 0:
		return fmt.Errorf("%w: negative shift totals", ErrDocument)
	}
	return nil
}

func (s Shift) layout(b *builder) {
	b.header(s.Store, "交班单", s.Reprint)
	b.pair("收银员", s.Clerk)
	b.pair("开始", clock(s.Start))
	b.pair("结束", clock(s.End))
	b.rule()
	b.pair("交易笔数", strconv.Itoa(s.Count))
	b.pair("交易金额", biz.Yuan(s.TotalFen))
	b.pair("退款笔数", strconv.Itoa(s.RefundCount))
	b.pair("退款金额", biz.Yuan(s.RefundFen))
	b.rule()
	b.center("实收")
	b.amount("", s.NetFen())
	b.rule()
	if !s.PrintedAt.IsZero() {
		b.pair("打印时间", clock(s.PrintedAt))
	}
	b.blank()
	b.plain("交班人签字：")
	b.blank()
	b.plain("接班人签字：")
}

// Validate implements Document.
func (d DailySummary) Validate() error {
	if d.Day.IsZero() {
		return fmt.Errorf("%w: summary without a day", ErrDocument)
	}
	for _, c := range d.Channels {
		if err := c.Channel.validate(); err != nil {
			return err
		}
	}
	return nil
}

func (d DailySummary) layout(b *builder) {
	b.header(d.Store, "日结汇总 "+d.Day.In(biz.Zone).Format("2006-01-02"), false)
	for _, c := range d.Channels {
		b.pair(c.Channel.Label(), fmt.Sprintf("%d笔 %s", c.Count, biz.Yuan(c.TotalFen)))
	}
	b.pair("合计", fmt.Sprintf("%d笔 %s", d.Count(), biz.Yuan(d.TotalFen())))
	b.pair("退款", fmt.Sprintf("%d笔 %s", d.RefundCount, biz.Yuan(d.RefundFen)))
	b.rule()
	b.center("实收")
	b.amount("", d.TotalFen()-d.RefundFen)
	if len(d.Clerks) > 0 {
		b.rule()
		b.plain("按收银员")
		for _, c := range d.Clerks {
			b.pair(c.Clerk, fmt.Sprintf("%d笔 %s", c.Count, biz.Yuan(c.TotalFen)))
		}
	}
	b.rule()
	if !d.PrintedAt.IsZero() {
		b.pair("打印时间", clock(d.PrintedAt))
	}
}

// Validate implements Document.
func (c CatchUp) Validate() error {
	if len(c.Payments) == 0 {
		return fmt.Errorf("%w: empty catch-up list", ErrDocument)
	}
	for _, p := range c.Payments {
		if err := p.Channel.validate(); err != nil {
			return err
		}
		if p.AmountFen <= 0 {
			return fmt.Errorf("%w: payment amount %d fen", ErrDocument, p.AmountFen)
		}
	}
	return nil
}

func (c CatchUp) layout(b *builder) {
	b.header(c.Store, "离线补单", false)
	b.center(fmt.Sprintf("离线期间收款 %d 笔，共 %s 元", len(c.Payments), biz.FormatFen(c.TotalFen())))
	b.rule()
	for _, p := range c.Payments {
		b.pair(p.PaidAt.In(biz.Zone).Format("01-02 15:04:05")+" "+p.Channel.Label(), biz.Yuan(p.AmountFen))
		if p.OrderNo != "" {
			b.pair("  订单号", p.OrderNo)
		}
	}
	b.rule()
	b.pair("合计", biz.Yuan(c.TotalFen()))
	if !c.PrintedAt.IsZero() {
		b.pair("打印时间", clock(c.PrintedAt))
	}
}

// Validate implements Document.
func (t TestPage) Validate() error { return nil }

func (t TestPage) layout(b *builder) {
	store := t.Store
	if store == "" {
		store = "QR Stand"
	}
	b.header(store, "打印测试页", false)
	b.pair("纸宽", fmt.Sprintf("%s %d点 %d列", b.p.Name, b.p.Dots, b.p.Columns))
	if t.Device != "" {
		b.pair("设备", t.Device)
	}
	if t.Firmware != "" {
		b.pair("固件", t.Firmware)
	}
	if !t.PrintedAt.IsZero() {
		b.pair("时间", clock(t.PrintedAt))
	}
	b.rule()
	ruler := ""
	for i := 1; utf8.RuneCountInString(ruler) < b.cols(); i++ {
		ruler += strconv.Itoa(i % 10)
	}
	b.plain(ruler)
	b.plain("中文：微信收款 支付宝 交班 补打")
	b.plain("符号：￥0.01 【】（）：，。")
	b.plain("ASCII: 0123456789 ABCxyz")
	b.text(escpos.Left, true, 1, "粗体 Bold")
	b.text(escpos.Left, false, 2, "倍大 2x")
	if t.QRURL != "" {
		b.qr(t.QRURL)
	}
	b.rule()
	b.center("打印正常")
}

// tail returns the last n characters of s.
func tail(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[len(r)-n:])
}

// maskPayer hides most of a payer's identity: enough is left for a clerk
// to match it with the customer's phone, not enough to identify anyone.
func maskPayer(s string) string {
	r := []rune(s)
	switch n := len(r); {
	case n <= 1:
		return "*"
	case n == 2:
		return string(r[:1]) + "*"
	case n <= 6:
		return string(r[:1]) + "**" + string(r[n-1:])
	default:
		return string(r[:3]) + "****" + string(r[n-4:])
	}
}

// Encode lays doc out for the printer profile p and returns the ESC/POS
// bytes, ready for a Transport.
func Encode(doc Document, p Profile) ([]byte, error) {
	b, _, err := encode(doc, p)
	return b, err
}
