package wechatsim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/qrstand/qrstand/mqtt/biz"
)

// Refund states, as WeChat names them.
const (
	RefundProcessing = "PROCESSING"
	RefundSuccess    = "SUCCESS"
)

type refund struct {
	RefundID, OutRefundNo, Reason, NotifyURL string
	order                                    *order
	Amount                                   int64
	Status                                   string
	Created, SuccessTime                     time.Time
}

// Refund is a snapshot of a refund as the simulator holds it.
type Refund struct {
	SpMchID, SubMchID, OutTradeNo, TransactionID string
	RefundID, OutRefundNo, Status                string
	RefundFen, TotalFen                          int64
}

func (f *refund) view() Refund {
	return Refund{
		SpMchID: f.order.SpMchID, SubMchID: f.order.SubMchID, OutTradeNo: f.order.OutTradeNo,
		TransactionID: f.order.TransactionID, RefundID: f.RefundID, OutRefundNo: f.OutRefundNo,
		Status: f.Status, RefundFen: f.Amount, TotalFen: f.order.Total,
	}
}

type refundRequest struct {
	SubMchID      string `json:"sub_mchid"`
	TransactionID string `json:"transaction_id"`
	OutTradeNo    string `json:"out_trade_no"`
	OutRefundNo   string `json:"out_refund_no"`
	Reason        string `json:"reason"`
	NotifyURL     string `json:"notify_url"`
	Amount        *struct {
		Refund   *int64 `json:"refund"`
		Total    *int64 `json:"total"`
		Currency string `json:"currency"`
	} `json:"amount"`
}

// refundJSON renders a refund as WeChat's Refund.
func (f *refund) refundJSON() map[string]any {
	r := map[string]any{
		"refund_id": f.RefundID, "out_refund_no": f.OutRefundNo,
		"transaction_id": f.order.TransactionID, "out_trade_no": f.order.OutTradeNo,
		"channel": "ORIGINAL", "user_received_account": "支付用户零钱",
		"create_time": f.Created.In(biz.Zone).Format(time.RFC3339),
		"status":      f.Status, "funds_account": "AVAILABLE",
		"amount": map[string]any{
			"total": f.order.Total, "refund": f.Amount, "payer_total": f.order.Total,
			"payer_refund": f.Amount, "settlement_total": f.order.Total,
			"settlement_refund": f.Amount, "discount_refund": 0, "currency": "CNY",
			"from": []any{},
		},
		"promotion_detail": []any{},
	}
	if f.Status == RefundSuccess {
		r["success_time"] = f.SuccessTime.In(biz.Zone).Format(time.RFC3339)
	}
	return r
}

// handleRefund creates a refund: one per out_refund_no (a repeated identical
// request returns the same refund), partial refunds allowed, never more
// than what is left of the order.
func (s *Server) handleRefund(w http.ResponseWriter, r *http.Request, c *call) {
	var req refundRequest
	if err := json.Unmarshal(c.body, &req); err != nil {
		s.writeError(w, http.StatusBadRequest, "PARAM_ERROR", "请求体不是合法的JSON")
		return
	}
	switch {
	case req.SubMchID == "":
		s.writeError(w, http.StatusBadRequest, "PARAM_ERROR", "服务商模式下sub_mchid必填")
		return
	case req.OutTradeNo == "" && req.TransactionID == "":
		s.writeError(w, http.StatusBadRequest, "PARAM_ERROR", "transaction_id和out_trade_no必须二选一")
		return
	case req.OutRefundNo == "" || len(req.OutRefundNo) > 64:
		s.writeError(w, http.StatusBadRequest, "PARAM_ERROR", "缺少参数out_refund_no")
		return
	case req.Amount == nil || req.Amount.Refund == nil || req.Amount.Total == nil || *req.Amount.Refund <= 0:
		s.writeError(w, http.StatusBadRequest, "PARAM_ERROR", "amount.refund和amount.total应为正整数（分）")
		return
	case req.Amount.Currency != "CNY":
		s.writeError(w, http.StatusBadRequest, "PARAM_ERROR", "amount.currency应为CNY")
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	var o *order
	if req.TransactionID != "" {
		o = s.byTxID[req.TransactionID]
	} else {
		o = s.orders[c.merchant.MchID+"/"+req.OutTradeNo]
	}
	if o == nil || o.SpMchID != c.merchant.MchID || o.SubMchID != req.SubMchID {
		s.writeError(w, http.StatusNotFound, "RESOURCE_NOT_EXISTS", "订单不存在")
		return
	}
	if prev, ok := s.refunds[c.merchant.MchID+"/"+req.OutRefundNo]; ok {
		if prev.order != o || prev.Amount != *req.Amount.Refund {
			s.writeError(w, http.StatusBadRequest, "INVALID_REQUEST", "同一out_refund_no的退款参数与之前不一致")
			return
		}
		s.writeJSON(w, http.StatusOK, prev.refundJSON())
		return
	}
	if o.State != StateSuccess && o.State != StateRefund {
		s.writeError(w, http.StatusBadRequest, "INVALID_REQUEST", "订单未支付，不能退款")
		return
	}
	if *req.Amount.Total != o.Total {
		s.writeError(w, http.StatusBadRequest, "INVALID_REQUEST", "amount.total与订单金额不一致")
		return
	}
	if *req.Amount.Refund > o.Total-o.Refunded {
		s.writeError(w, http.StatusBadRequest, "INVALID_REQUEST", "申请退款金额超过订单可退金额")
		return
	}
	f := &refund{
		RefundID:    fmt.Sprintf("50%s%08d", s.Now().In(biz.Zone).Format("20060102"), s.nextSeq()),
		OutRefundNo: req.OutRefundNo, Reason: req.Reason, NotifyURL: req.NotifyURL,
		order: o, Amount: *req.Amount.Refund, Status: RefundProcessing, Created: s.Now(),
	}
	if f.NotifyURL == "" {
		f.NotifyURL = o.NotifyURL
	}
	s.refunds[c.merchant.MchID+"/"+req.OutRefundNo] = f
	o.Refunded += f.Amount
	o.State = StateRefund
	s.writeJSON(w, http.StatusOK, f.refundJSON())
	s.goBackgroundLocked(func(ctx context.Context) {
		if s.sleep(ctx, s.RefundDelay) {
			s.settleRefund(f)
		}
	})
}

// settleRefund marks f SUCCESS and starts its REFUND.SUCCESS notify.
func (s *Server) settleRefund(f *refund) {
	s.mu.Lock()
	f.Status = RefundSuccess
	f.SuccessTime = s.Now()
	o := f.order
	res := map[string]any{
		"sp_mchid": o.SpMchID, "sub_mchid": o.SubMchID, "transaction_id": o.TransactionID,
		"out_trade_no": o.OutTradeNo, "refund_id": f.RefundID, "out_refund_no": f.OutRefundNo,
		"refund_status": RefundSuccess, "success_time": f.SuccessTime.In(biz.Zone).Format(time.RFC3339),
		"user_received_account": "支付用户零钱",
		"amount":                map[string]any{"total": o.Total, "refund": f.Amount, "payer_total": o.Total, "payer_refund": f.Amount},
	}
	faults := s.faults
	m, _ := s.merchant(o.SpMchID)
	s.mu.Unlock()
	if faults.MismatchSubMchID != "" {
		res["sub_mchid"] = faults.MismatchSubMchID
	}
	s.startNotify(event{
		eventType: "REFUND.SUCCESS", summary: "退款成功", originalType: "refund",
		resource: res, url: f.NotifyURL, apiV3Key: m.APIv3Key, outTradeNo: o.OutTradeNo, mchID: o.SpMchID,
		outRefundNo: f.OutRefundNo,
	}, faults)
}

func (s *Server) handleRefundQuery(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.refunds[c.merchant.MchID+"/"+r.PathValue("no")]
	if f == nil || f.order.SubMchID != r.URL.Query().Get("sub_mchid") {
		s.writeError(w, http.StatusNotFound, "RESOURCE_NOT_EXISTS", "退款单不存在")
		return
	}
	s.writeJSON(w, http.StatusOK, f.refundJSON())
}

// Refunds returns every refund.
func (s *Server) Refunds() []Refund {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Refund, 0, len(s.refunds))
	for _, f := range s.refunds {
		out = append(out, f.view())
	}
	sortBy(out, func(f Refund) string { return f.RefundID })
	return out
}
