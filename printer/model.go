package printer

import (
	"errors"
	"fmt"
	"time"
)

// Channel is the payment channel a customer used.
type Channel string

// Channels, spelled as on the wire.
const (
	WeChat Channel = "wechat"
	Alipay Channel = "alipay"
)

// Label is the channel's name on paper.
func (c Channel) Label() string {
	switch c {
	case WeChat:
		return "微信支付"
	case Alipay:
		return "支付宝"
	}
	return string(c)
}

func (c Channel) validate() error {
	if c != WeChat && c != Alipay {
		return fmt.Errorf("%w: unknown channel %q", ErrDocument, c)
	}
	return nil
}

// ErrDocument is wrapped by every error about a receipt's content.
var ErrDocument = errors.New("printer: invalid document")

// Payment is one paid order: the receipt a clerk hands over or keeps.
type Payment struct {
	Store         string
	Channel       Channel
	AmountFen     int64
	PaidAt        time.Time // printed in Asia/Shanghai
	OrderNo       string    // our out_trade_no
	TransactionID string    // the channel's id; only its tail is printed
	Payer         string    // openid or name; printed masked
	Clerk         string    // clerk on duty, if any
	Remark        string    // the customer's note (备注), if any
	Reprint       bool      // print the 补打 label
	OrderURL      string    // optional: a QR code to the order page
}

// Refund is one refund of a paid order.
type Refund struct {
	Store          string
	Channel        Channel
	AmountFen      int64 // refunded now
	OrderAmountFen int64 // the order's amount
	RefundedAt     time.Time
	OrderNo        string
	RefundNo       string
	Operator       string // who refunded
	Reason         string
	Reprint        bool
}

// Shift is a clerk's shift, printed as the handover slip (交班) at
// clock-out. 实收 (net) = TotalFen − RefundFen.
type Shift struct {
	Store       string
	Clerk       string
	Start, End  time.Time
	Count       int   // payments
	TotalFen    int64 // their sum
	RefundCount int
	RefundFen   int64
	PrintedAt   time.Time
	Reprint     bool
}

// NetFen is 实收: payments minus refunds.
func (s Shift) NetFen() int64 { return s.TotalFen - s.RefundFen }

// ChannelTotal is the payments of one channel in a summary.
type ChannelTotal struct {
	Channel  Channel
	Count    int
	TotalFen int64
}

// ClerkTotal is the payments taken on one clerk's shifts in a summary.
type ClerkTotal struct {
	Clerk    string
	Count    int
	TotalFen int64
}

// DailySummary is one business day's totals for a store.
type DailySummary struct {
	Store       string
	Day         time.Time // any instant of the day, in Asia/Shanghai
	Channels    []ChannelTotal
	Clerks      []ClerkTotal // optional
	RefundCount int
	RefundFen   int64
	PrintedAt   time.Time
}

// Count is the number of payments over all channels.
func (d DailySummary) Count() int {
	n := 0
	for _, c := range d.Channels {
		n += c.Count
	}
	return n
}

// TotalFen is the sum of payments over all channels.
func (d DailySummary) TotalFen() int64 {
	var t int64
	for _, c := range d.Channels {
		t += c.TotalFen
	}
	return t
}

// CatchUpPayment is one line of a catch-up list.
type CatchUpPayment struct {
	PaidAt    time.Time
	Channel   Channel
	AmountFen int64
	OrderNo   string
}

// CatchUp lists payments made while the stand was offline, too old to be
// announced one by one (see the announce window).
type CatchUp struct {
	Store     string
	Payments  []CatchUpPayment
	PrintedAt time.Time
}

// TotalFen is the sum of the listed payments.
func (c CatchUp) TotalFen() int64 {
	var t int64
	for _, p := range c.Payments {
		t += p.AmountFen
	}
	return t
}

// TestPage shows that the printer, its profile and its Chinese font work.
type TestPage struct {
	Store     string
	Device    string // stand id
	Firmware  string
	PrintedAt time.Time
	QRURL     string // optional
}
