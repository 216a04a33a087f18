package model

import "time"

// Order states, as WeChat names them (REFUND: at least one refund settled).
const (
	OrderNotPay  = "NOTPAY"
	OrderSuccess = "SUCCESS"
	OrderClosed  = "CLOSED"
	OrderRefund  = "REFUND"
)

// Order is one payment attempt at a store: our out_trade_no, in fen.
type Order struct {
	OutTradeNo    string
	StoreID       string
	MerchantID    string
	ProviderID    string
	SpMchID       string
	SubMchID      string
	ClerkID       string // set when paid through a clerk's personal code
	ShiftID       string // the store's open shift when paid
	OnDutyID      string // that shift's clerk
	AmountFen     int64
	RefundedFen   int64 // settled refunds
	Remark        string
	PayerOpenID   string
	State         string
	PrepayID      string
	TransactionID string
	CreatedAt     time.Time
	TimeExpire    time.Time
	PaidAt        time.Time // zero unless paid
	ClosedAt      time.Time
	PaidVia       string // "notify" or "query"
}

// Paid reports whether the order was paid (refunds included).
func (o Order) Paid() bool { return o.State == OrderSuccess || o.State == OrderRefund }

// Refund states. PENDING: recorded, WeChat not yet told (or the answer was
// lost); PROCESSING and SUCCESS as WeChat says; FAILED: WeChat refused it.
const (
	RefundPending    = "PENDING"
	RefundProcessing = "PROCESSING"
	RefundSucceeded  = "SUCCESS"
	RefundFailed     = "FAILED"
)

// Refund is one (partial) refund of an order, idempotent by OutRefundNo.
type Refund struct {
	OutRefundNo string
	OutTradeNo  string
	StoreID     string
	AmountFen   int64
	State       string
	RefundID    string // WeChat's
	OperatorID  string // staff id of who refunded
	Reason      string
	CreatedAt   time.Time
	SucceededAt time.Time
	LastError   string
}

// Outbox row kinds.
const (
	OutboxStand    = "stand"    // an mqtt envelope for one stand, acked by it
	OutboxTemplate = "template" // an official-account template message to one person
)

// Outbox row states.
const (
	OutboxPending   = "pending"
	OutboxDelivered = "delivered"
	OutboxFailed    = "failed" // given up (templates only; stand rows never give up)
)

// OutboxRow is one message that must be delivered: written in the same
// transaction as the state change it announces (DESIGN §5).
type OutboxRow struct {
	ID          string // the envelope id (stands) or client_msg_id (templates)
	Kind        string
	StandID     string
	Seq         int64 // per-stand sequence (stands only)
	ToOpenID    string
	ProviderID  string // templates: whose official account sends it
	Type        string // mqtt kind or "template"
	Payload     []byte // the mqtt envelope, or the template message JSON
	Ref         string // out_trade_no or out_refund_no
	State       string
	Attempts    int
	NextAt      time.Time
	CreatedAt   time.Time
	DeliveredAt time.Time
	LastError   string
	ClaimedBy   string // the cloud node that last claimed it ("" on a single node)
}

// Marketing are a merchant's slots on the pay result page; empty fields are
// not shown.
type Marketing struct {
	AdImageURL string // an ad image (https)
	AdLinkURL  string // where the ad leads
	ReviewURL  string // "review us" prompt
	CouponText string // a coupon shown after paying
}
