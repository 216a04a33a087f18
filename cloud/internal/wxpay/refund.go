package wxpay

import (
	"context"
	"fmt"
	"time"

	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/services/refunddomestic"
)

// Refund statuses.
const (
	RefundSuccess    = "SUCCESS"
	RefundProcessing = "PROCESSING"
	RefundClosed     = "CLOSED"
	RefundAbnormal   = "ABNORMAL"
)

// RefundRequest refunds part or all of a paid order.
type RefundRequest struct {
	SubMchID      string
	OutTradeNo    string // or TransactionID
	TransactionID string
	OutRefundNo   string // our idempotency key: one refund per out_refund_no
	RefundFen     int64
	TotalFen      int64 // the order's total
	Reason        string
	NotifyURL     string // default Config.NotifyURL
}

// RefundResult is a refund as WeChat reports it.
type RefundResult struct {
	RefundID, OutRefundNo, OutTradeNo, TransactionID string
	Status                                           string
	RefundFen, TotalFen                              int64
	CreateTime, SuccessTime                          time.Time
}

// Refund asks for a refund. Retrying with the same OutRefundNo and amount
// returns the same refund, never a second one.
func (c *Client) Refund(ctx context.Context, r RefundRequest) (RefundResult, error) {
	if r.RefundFen <= 0 || r.TotalFen <= 0 {
		return RefundResult{}, fmt.Errorf("wxpay: refund: amounts must be positive (refund %d, total %d)", r.RefundFen, r.TotalFen)
	}
	notifyURL := r.NotifyURL
	if notifyURL == "" {
		notifyURL = c.cfg.NotifyURL
	}
	req := refunddomestic.CreateRequest{
		SubMchid:    core.String(r.SubMchID),
		OutRefundNo: core.String(r.OutRefundNo),
		NotifyUrl:   core.String(notifyURL),
		Amount: &refunddomestic.AmountReq{
			Refund: core.Int64(r.RefundFen), Total: core.Int64(r.TotalFen), Currency: core.String("CNY"),
		},
	}
	if r.TransactionID != "" {
		req.TransactionId = core.String(r.TransactionID)
	} else {
		req.OutTradeNo = core.String(r.OutTradeNo)
	}
	if r.Reason != "" {
		req.Reason = core.String(r.Reason)
	}
	resp, result, err := c.refunds.Create(ctx, req)
	if err := c.classify("refund", result, err); err != nil {
		return RefundResult{}, err
	}
	return refundFromSDK(resp), nil
}

// QueryRefund asks WeChat for a refund by our number.
func (c *Client) QueryRefund(ctx context.Context, subMchID, outRefundNo string) (RefundResult, error) {
	resp, result, err := c.refunds.QueryByOutRefundNo(ctx, refunddomestic.QueryByOutRefundNoRequest{
		OutRefundNo: core.String(outRefundNo), SubMchid: core.String(subMchID),
	})
	if err := c.classify("refund query", result, err); err != nil {
		return RefundResult{}, err
	}
	return refundFromSDK(resp), nil
}

func refundFromSDK(r *refunddomestic.Refund) RefundResult {
	out := RefundResult{
		RefundID: deref(r.RefundId), OutRefundNo: deref(r.OutRefundNo),
		OutTradeNo: deref(r.OutTradeNo), TransactionID: deref(r.TransactionId),
	}
	if r.Status != nil {
		out.Status = string(*r.Status)
	}
	if r.Amount != nil {
		out.RefundFen = deref(r.Amount.Refund)
		out.TotalFen = deref(r.Amount.Total)
	}
	if r.CreateTime != nil {
		out.CreateTime = r.CreateTime.UTC()
	}
	if r.SuccessTime != nil {
		out.SuccessTime = r.SuccessTime.UTC()
	}
	return out
}
