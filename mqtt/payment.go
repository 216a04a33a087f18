package mqtt

import (
	"net/url"
	"time"
)

// Payment channels. The prefix of the spoken announcement follows it.
const (
	ChannelWeChat = "wechat"
	ChannelAlipay = "alipay"
)

func validPayChannel(c string) bool { return c == ChannelWeChat || c == ChannelAlipay }

// PaymentPaid tells a stand that an order of its store was paid. The stand
// announces and prints it exactly once.
type PaymentPaid struct {
	OrderNo       string    `json:"order_no"`                 // our out_trade_no
	TransactionID string    `json:"transaction_id,omitempty"` // WeChat's transaction id
	Channel       string    `json:"channel"`                  // "wechat" | "alipay"
	AmountFen     int64     `json:"amount_fen"`
	PaidAt        time.Time `json:"paid_at"` // UTC
	StoreID       string    `json:"store_id"`
	StoreName     string    `json:"store_name,omitempty"`
	CodeName      string    `json:"code_name,omitempty"` // which QR was scanned: store code or a clerk's
	Clerk         string    `json:"clerk,omitempty"`     // clerk on duty, if any
	Payer         string    `json:"payer,omitempty"`     // masked, e.g. "o8x…3kQ"
	Remark        string    `json:"remark,omitempty"`
	OrderURL      string    `json:"order_url,omitempty"` // printed as a QR on the receipt
}

func (*PaymentPaid) Kind() Kind { return KindPaymentPaid }

func (p *PaymentPaid) Validate() error {
	switch {
	case p.OrderNo == "" || len(p.OrderNo) > 64:
		return invalid(KindPaymentPaid, "order_no must be 1..64 characters")
	case !validPayChannel(p.Channel):
		return invalid(KindPaymentPaid, "unknown channel %q", truncate(p.Channel))
	case p.AmountFen <= 0:
		return invalid(KindPaymentPaid, "amount_fen must be > 0, got %d", p.AmountFen)
	case p.PaidAt.IsZero():
		return invalid(KindPaymentPaid, "missing paid_at")
	case p.StoreID == "":
		return invalid(KindPaymentPaid, "missing store_id")
	case p.OrderURL != "" && !validHTTPURL(p.OrderURL):
		return invalid(KindPaymentPaid, "order_url is not an http(s) URL")
	}
	return nil
}

// PaymentRefunded tells a stand that (part of) a paid order was refunded.
type PaymentRefunded struct {
	OrderNo          string    `json:"order_no"`
	RefundNo         string    `json:"refund_no"` // our out_refund_no
	Channel          string    `json:"channel"`
	AmountFen        int64     `json:"amount_fen"`         // the order's paid amount
	RefundFen        int64     `json:"refund_fen"`         // this refund
	RefundedTotalFen int64     `json:"refunded_total_fen"` // all refunds of the order so far, this one included
	RefundedAt       time.Time `json:"refunded_at"`
	StoreID          string    `json:"store_id"`
	StoreName        string    `json:"store_name,omitempty"`
	Operator         string    `json:"operator,omitempty"` // who refunded
	Reason           string    `json:"reason,omitempty"`
}

func (*PaymentRefunded) Kind() Kind { return KindPaymentRefunded }

func (r *PaymentRefunded) Validate() error {
	switch {
	case r.OrderNo == "" || len(r.OrderNo) > 64:
		return invalid(KindPaymentRefunded, "order_no must be 1..64 characters")
	case r.RefundNo == "" || len(r.RefundNo) > 64:
		return invalid(KindPaymentRefunded, "refund_no must be 1..64 characters")
	case !validPayChannel(r.Channel):
		return invalid(KindPaymentRefunded, "unknown channel %q", truncate(r.Channel))
	case r.AmountFen <= 0 || r.RefundFen <= 0:
		return invalid(KindPaymentRefunded, "amounts must be > 0")
	case r.RefundedTotalFen < r.RefundFen || r.RefundedTotalFen > r.AmountFen:
		return invalid(KindPaymentRefunded, "refund %d, total %d do not fit the order's %d", r.RefundFen, r.RefundedTotalFen, r.AmountFen)
	case r.RefundedAt.IsZero():
		return invalid(KindPaymentRefunded, "missing refunded_at")
	case r.StoreID == "":
		return invalid(KindPaymentRefunded, "missing store_id")
	}
	return nil
}

// ShiftClosed carries a clerk's handover slip (交班) to print at clock-out.
// 实收 (NetFen) = 交易 (TotalFen) − 退款 (RefundFen).
type ShiftClosed struct {
	ShiftID     string    `json:"shift_id"`
	StoreID     string    `json:"store_id"`
	StoreName   string    `json:"store_name,omitempty"`
	Clerk       string    `json:"clerk"`
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
	Count       int64     `json:"count"` // paid orders
	TotalFen    int64     `json:"total_fen"`
	RefundCount int64     `json:"refund_count"`
	RefundFen   int64     `json:"refund_fen"`
	NetFen      int64     `json:"net_fen"`
}

func (*ShiftClosed) Kind() Kind { return KindShiftClosed }

func (s *ShiftClosed) Validate() error {
	switch {
	case s.ShiftID == "" || s.StoreID == "" || s.Clerk == "":
		return invalid(KindShiftClosed, "shift_id, store_id and clerk are required")
	case s.Start.IsZero() || s.End.Before(s.Start):
		return invalid(KindShiftClosed, "end must not be before start")
	case s.Count < 0 || s.TotalFen < 0 || s.RefundCount < 0 || s.RefundFen < 0:
		return invalid(KindShiftClosed, "counts and amounts must be >= 0")
	case s.NetFen != s.TotalFen-s.RefundFen:
		return invalid(KindShiftClosed, "net_fen %d != total_fen %d - refund_fen %d", s.NetFen, s.TotalFen, s.RefundFen)
	}
	return nil
}

func validHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}
