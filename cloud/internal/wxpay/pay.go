package wxpay

import (
	"context"
	"fmt"
	"time"

	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/services/partnerpayments"
	"github.com/wechatpay-apiv3/wechatpay-go/services/partnerpayments/jsapi"

	"github.com/qrstand/qrstand/mqtt/biz"
)

// Trade states (trade_state).
const (
	TradeSuccess    = "SUCCESS"
	TradeRefund     = "REFUND"
	TradeNotPay     = "NOTPAY"
	TradeClosed     = "CLOSED"
	TradeRevoked    = "REVOKED"
	TradeUserPaying = "USERPAYING"
	TradePayError   = "PAYERROR"
)

// PrepayRequest is one JSAPI order of a sub-merchant.
type PrepayRequest struct {
	SubMchID    string
	OutTradeNo  string // 6–32 of [0-9A-Za-z_-|*], unique per SpMchID
	AmountFen   int64
	SpOpenID    string // the payer's openid under Config.SpAppID
	Description string // ≤ 127 characters, shown in the payer's bill
	Attach      string // optional, returned in queries and notifies
	TimeExpire  time.Time
}

// JSAPIParams are the arguments of WeixinJSBridge.invoke('getBrandWCPayRequest', …)
// in the pay page; PaySign is RSA-SHA256 over
// appId\ntimeStamp\nnonceStr\npackage\n with the merchant key.
type JSAPIParams struct {
	AppID     string `json:"appId"`
	TimeStamp string `json:"timeStamp"`
	NonceStr  string `json:"nonceStr"`
	Package   string `json:"package"`
	SignType  string `json:"signType"`
	PaySign   string `json:"paySign"`
}

// PrepayResult is what Prepay returns.
type PrepayResult struct {
	PrepayID string
	JSAPI    JSAPIParams
}

// Prepay places a JSAPI order (POST /v3/pay/partner/transactions/jsapi).
// Retrying with the same OutTradeNo and fields returns the same prepay_id.
func (c *Client) Prepay(ctx context.Context, p PrepayRequest) (PrepayResult, error) {
	if p.AmountFen <= 0 {
		return PrepayResult{}, fmt.Errorf("wxpay: prepay: amount %d fen is not positive", p.AmountFen)
	}
	req := jsapi.PrepayRequest{
		SpAppid:     core.String(c.cfg.SpAppID),
		SpMchid:     core.String(c.cfg.SpMchID),
		SubMchid:    core.String(p.SubMchID),
		Description: core.String(p.Description),
		OutTradeNo:  core.String(p.OutTradeNo),
		NotifyUrl:   core.String(c.cfg.NotifyURL),
		Amount:      &jsapi.Amount{Total: core.Int64(p.AmountFen), Currency: core.String("CNY")},
		Payer:       &jsapi.Payer{SpOpenid: core.String(p.SpOpenID)},
	}
	if p.Attach != "" {
		req.Attach = core.String(p.Attach)
	}
	if !p.TimeExpire.IsZero() {
		// The SDK renders time.RFC3339 in the value's own zone: give it
		// +08:00, whole seconds.
		t := p.TimeExpire.In(biz.Zone).Truncate(time.Second)
		req.TimeExpire = &t
	}
	resp, result, err := c.jsapi.PrepayWithRequestPayment(ctx, req, c.cfg.SpAppID)
	if err := c.classify("prepay", result, err); err != nil {
		return PrepayResult{}, err
	}
	return PrepayResult{
		PrepayID: deref(resp.PrepayId),
		JSAPI: JSAPIParams{
			AppID: deref(resp.Appid), TimeStamp: deref(resp.TimeStamp), NonceStr: deref(resp.NonceStr),
			Package: deref(resp.Package), SignType: deref(resp.SignType), PaySign: deref(resp.PaySign),
		},
	}, nil
}

// Transaction is an order as WeChat reports it (query or notify).
type Transaction struct {
	SpAppID, SpMchID, SubMchID, SubAppID  string
	OutTradeNo, TransactionID             string
	TradeType, TradeState, TradeStateDesc string
	Attach, BankType                      string
	SpOpenID                              string
	AmountFen, PayerTotalFen              int64
	Currency                              string
	SuccessTime                           time.Time // zero unless paid
}

func fromSDK(t *partnerpayments.Transaction) Transaction {
	out := Transaction{
		SpAppID: deref(t.SpAppid), SpMchID: deref(t.SpMchid), SubMchID: deref(t.SubMchid),
		SubAppID: deref(t.SubAppid), OutTradeNo: deref(t.OutTradeNo), TransactionID: deref(t.TransactionId),
		TradeType: deref(t.TradeType), TradeState: deref(t.TradeState), TradeStateDesc: deref(t.TradeStateDesc),
		Attach: deref(t.Attach), BankType: deref(t.BankType),
	}
	if t.Payer != nil {
		out.SpOpenID = deref(t.Payer.SpOpenid)
	}
	if t.Amount != nil {
		out.AmountFen = deref(t.Amount.Total)
		out.PayerTotalFen = deref(t.Amount.PayerTotal)
		out.Currency = deref(t.Amount.Currency)
	}
	if s := deref(t.SuccessTime); s != "" {
		if ts, err := time.Parse(time.RFC3339, s); err == nil {
			out.SuccessTime = ts.UTC()
		}
	}
	return out
}

// QueryByOutTradeNo asks WeChat for an order by our number.
func (c *Client) QueryByOutTradeNo(ctx context.Context, subMchID, outTradeNo string) (Transaction, error) {
	t, result, err := c.jsapi.QueryOrderByOutTradeNo(ctx, jsapi.QueryOrderByOutTradeNoRequest{
		OutTradeNo: core.String(outTradeNo), SpMchid: core.String(c.cfg.SpMchID), SubMchid: core.String(subMchID),
	})
	if err := c.classify("query", result, err); err != nil {
		return Transaction{}, err
	}
	return fromSDK(t), nil
}

// QueryByTransactionID asks WeChat for an order by its transaction id.
func (c *Client) QueryByTransactionID(ctx context.Context, subMchID, transactionID string) (Transaction, error) {
	t, result, err := c.jsapi.QueryOrderById(ctx, jsapi.QueryOrderByIdRequest{
		TransactionId: core.String(transactionID), SpMchid: core.String(c.cfg.SpMchID), SubMchid: core.String(subMchID),
	})
	if err := c.classify("query", result, err); err != nil {
		return Transaction{}, err
	}
	return fromSDK(t), nil
}

// Close closes an unpaid order (204 on success). Closing a paid order
// fails with ErrOrderPaid.
func (c *Client) Close(ctx context.Context, subMchID, outTradeNo string) error {
	result, err := c.jsapi.CloseOrder(ctx, jsapi.CloseOrderRequest{
		OutTradeNo: core.String(outTradeNo), SpMchid: core.String(c.cfg.SpMchID), SubMchid: core.String(subMchID),
	})
	return c.classify("close", result, err)
}

func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}
