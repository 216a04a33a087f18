package wechatsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/qrstand/qrstand/mqtt/biz"
)

// Trade states, as WeChat names them.
const (
	StateNotPay  = "NOTPAY"
	StateSuccess = "SUCCESS"
	StateClosed  = "CLOSED"
	StateRefund  = "REFUND"
)

var outTradeNoRE = regexp.MustCompile(`^[0-9A-Za-z_\-|*]{6,32}$`)

type order struct {
	SpAppID, SpMchID, SubMchID, SubAppID string
	OutTradeNo, TransactionID, PrepayID  string
	Description, Attach, NotifyURL       string
	SpOpenID                             string
	Total                                int64
	State                                string
	TimeExpire, Created, SuccessTime     time.Time
	Refunded                             int64 // accepted refunds, processing or done
}

// Order is a snapshot of an order as the simulator holds it.
type Order struct {
	SpAppID, SpMchID, SubMchID, OutTradeNo, TransactionID, PrepayID string
	Description, NotifyURL, SpOpenID                                string
	TotalFen, RefundedFen                                           int64
	State                                                           string
	TimeExpire, SuccessTime                                         time.Time
}

func (o *order) view() Order {
	return Order{
		SpAppID: o.SpAppID, SpMchID: o.SpMchID, SubMchID: o.SubMchID, OutTradeNo: o.OutTradeNo,
		TransactionID: o.TransactionID, PrepayID: o.PrepayID,
		Description: o.Description, NotifyURL: o.NotifyURL, SpOpenID: o.SpOpenID,
		TotalFen: o.Total, RefundedFen: o.Refunded, State: o.State,
		TimeExpire: o.TimeExpire, SuccessTime: o.SuccessTime,
	}
}

// prepayRequest is the body of POST /v3/pay/partner/transactions/jsapi.
type prepayRequest struct {
	SpAppID     string `json:"sp_appid"`
	SpMchID     string `json:"sp_mchid"`
	SubAppID    string `json:"sub_appid"`
	SubMchID    string `json:"sub_mchid"`
	Description string `json:"description"`
	OutTradeNo  string `json:"out_trade_no"`
	TimeExpire  string `json:"time_expire"`
	Attach      string `json:"attach"`
	NotifyURL   string `json:"notify_url"`
	Amount      *struct {
		Total    *int64 `json:"total"`
		Currency string `json:"currency"`
	} `json:"amount"`
	Payer *struct {
		SpOpenID  string `json:"sp_openid"`
		SubOpenID string `json:"sub_openid"`
	} `json:"payer"`
}

type paramError string

func (s *Server) handlePrepay(w http.ResponseWriter, r *http.Request, c *call) {
	var req prepayRequest
	if err := json.Unmarshal(c.body, &req); err != nil {
		s.writeError(w, http.StatusBadRequest, "PARAM_ERROR", "请求体不是合法的JSON")
		return
	}
	var expire time.Time
	check := func() paramError {
		switch {
		case req.SpAppID == "":
			return "缺少参数sp_appid"
		case req.SpMchID != c.merchant.MchID:
			return "sp_mchid与请求头Authorization中的mchid不一致"
		case req.SubMchID == "":
			return "缺少参数sub_mchid"
		case req.Description == "" || utf8.RuneCountInString(req.Description) > 127:
			return "description长度应在1到127之间"
		case !outTradeNoRE.MatchString(req.OutTradeNo):
			return "out_trade_no应为6到32位数字、大小写字母或_-|*"
		case req.Amount == nil || req.Amount.Total == nil || *req.Amount.Total <= 0:
			return "amount.total应为正整数（分）"
		case req.Amount.Currency != "" && req.Amount.Currency != "CNY":
			return "amount.currency只支持CNY"
		case req.Payer == nil || req.Payer.SpOpenID == "" && req.Payer.SubOpenID == "":
			return "缺少参数payer.sp_openid"
		case utf8.RuneCountInString(req.Attach) > 128:
			return "attach长度不能超过128"
		}
		u, err := url.Parse(req.NotifyURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" {
			return "notify_url应为不带参数的https地址"
		}
		if req.TimeExpire != "" {
			t, err := time.Parse(time.RFC3339, req.TimeExpire)
			if err != nil {
				return "time_expire应为RFC3339格式，如2018-06-08T10:34:56+08:00"
			}
			now := s.Now()
			if t.Before(now.Add(time.Minute)) || t.After(now.Add(15*24*time.Hour)) {
				return "time_expire应在当前时间1分钟之后、15天之内"
			}
			expire = t
		}
		return ""
	}
	if msg := check(); msg != "" {
		s.writeError(w, http.StatusBadRequest, "PARAM_ERROR", string(msg))
		return
	}
	if len(c.merchant.AppIDs) > 0 && !slices.Contains(c.merchant.AppIDs, req.SpAppID) {
		s.writeError(w, http.StatusBadRequest, "PARAM_ERROR", "sp_appid与sp_mchid不匹配")
		return
	}
	if s.PayerAppID != nil && req.Payer.SpOpenID != "" {
		if app, known := s.PayerAppID(req.Payer.SpOpenID); known && app != req.SpAppID {
			s.writeError(w, http.StatusBadRequest, "PARAM_ERROR", "sp_openid与sp_appid不匹配")
			return
		}
	}
	if !s.subMerchantKnown(c.merchant, req.SubMchID) {
		s.writeError(w, http.StatusBadRequest, "INVALID_REQUEST", "特约商户号与服务商不存在绑定关系")
		return
	}
	if expire.IsZero() {
		expire = s.Now().Add(2 * time.Hour)
	}
	openID := req.Payer.SpOpenID
	if openID == "" {
		openID = req.Payer.SubOpenID
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	key := req.SpMchID + "/" + req.OutTradeNo
	if o, ok := s.orders[key]; ok {
		// WeChat returns the same prepay_id for a repeated, identical
		// request and refuses a changed one.
		switch {
		case o.State == StateSuccess || o.State == StateRefund:
			s.writeError(w, http.StatusBadRequest, "ORDERPAID", "该订单已支付")
		case o.State == StateClosed:
			s.writeError(w, http.StatusBadRequest, "ORDERCLOSED", "该订单已关闭")
		case o.SubMchID != req.SubMchID || o.Total != *req.Amount.Total || o.Description != req.Description:
			s.writeError(w, http.StatusBadRequest, "INVALID_REQUEST", "201 商户订单号重复")
		default:
			s.writeJSON(w, http.StatusOK, map[string]string{"prepay_id": o.PrepayID})
		}
		return
	}
	o := &order{
		SpAppID: req.SpAppID, SpMchID: req.SpMchID, SubMchID: req.SubMchID, SubAppID: req.SubAppID,
		OutTradeNo: req.OutTradeNo, Description: req.Description, Attach: req.Attach,
		NotifyURL: req.NotifyURL, SpOpenID: openID, Total: *req.Amount.Total,
		State: StateNotPay, TimeExpire: expire, Created: s.Now(),
		PrepayID: fmt.Sprintf("wx%s%010d", s.Now().In(biz.Zone).Format("20060102150405"), s.nextSeq()),
	}
	s.orders[key] = o
	s.byPrepay[o.PrepayID] = o
	s.writeJSON(w, http.StatusOK, map[string]string{"prepay_id": o.PrepayID})
}

func (s *Server) subMerchantKnown(m Merchant, sub string) bool {
	if len(m.SubMerchants) == 0 {
		return true
	}
	_, ok := m.SubMerchants[sub]
	return ok
}

// transactionJSON renders an order as WeChat's partner Transaction.
func (o *order) transactionJSON() map[string]any {
	t := map[string]any{
		"sp_appid": o.SpAppID, "sp_mchid": o.SpMchID, "sub_mchid": o.SubMchID,
		"out_trade_no": o.OutTradeNo, "trade_type": "JSAPI", "trade_state": o.State,
		"trade_state_desc": stateDesc(o.State), "attach": o.Attach,
		"amount": map[string]any{"total": o.Total, "currency": "CNY"},
		"payer":  map[string]any{},
	}
	if o.SubAppID != "" {
		t["sub_appid"] = o.SubAppID
	}
	if o.State == StateSuccess || o.State == StateRefund {
		t["transaction_id"] = o.TransactionID
		t["bank_type"] = "OTHERS"
		t["success_time"] = o.SuccessTime.In(biz.Zone).Format(time.RFC3339)
		t["payer"] = map[string]any{"sp_openid": o.SpOpenID}
		t["amount"] = map[string]any{"total": o.Total, "payer_total": o.Total, "currency": "CNY", "payer_currency": "CNY"}
	}
	return t
}

func stateDesc(st string) string {
	switch st {
	case StateNotPay:
		return "订单未支付"
	case StateSuccess:
		return "支付成功"
	case StateClosed:
		return "订单已关闭"
	case StateRefund:
		return "转入退款"
	}
	return st
}

// lookupQuery finds an order for a partner query and checks sp_mchid and
// sub_mchid; the caller holds s.mu.
func (s *Server) lookupQuery(w http.ResponseWriter, r *http.Request, c *call, o *order) bool {
	q := r.URL.Query()
	if q.Get("sp_mchid") != c.merchant.MchID {
		s.writeError(w, http.StatusBadRequest, "PARAM_ERROR", "sp_mchid与请求头Authorization中的mchid不一致")
		return false
	}
	if q.Get("sub_mchid") == "" {
		s.writeError(w, http.StatusBadRequest, "PARAM_ERROR", "缺少参数sub_mchid")
		return false
	}
	if o == nil || o.SpMchID != c.merchant.MchID || o.SubMchID != q.Get("sub_mchid") {
		s.writeError(w, http.StatusNotFound, "ORDER_NOT_EXIST", "订单不存在")
		return false
	}
	return true
}

func (s *Server) handleQueryByOutTradeNo(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orders[c.merchant.MchID+"/"+r.PathValue("no")]
	if s.lookupQuery(w, r, c, o) {
		s.writeJSON(w, http.StatusOK, o.transactionJSON())
	}
}

func (s *Server) handleQueryByID(w http.ResponseWriter, r *http.Request, c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.byTxID[r.PathValue("id")]
	if s.lookupQuery(w, r, c, o) {
		s.writeJSON(w, http.StatusOK, o.transactionJSON())
	}
}

func (s *Server) handleClose(w http.ResponseWriter, r *http.Request, c *call) {
	var req struct {
		SpMchID  string `json:"sp_mchid"`
		SubMchID string `json:"sub_mchid"`
	}
	if err := json.Unmarshal(c.body, &req); err != nil || req.SpMchID != c.merchant.MchID || req.SubMchID == "" {
		s.writeError(w, http.StatusBadRequest, "PARAM_ERROR", "sp_mchid或sub_mchid有误")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orders[c.merchant.MchID+"/"+r.PathValue("no")]
	if o == nil || o.SubMchID != req.SubMchID {
		s.writeError(w, http.StatusNotFound, "ORDER_NOT_EXIST", "订单不存在")
		return
	}
	if o.State == StateSuccess || o.State == StateRefund {
		s.writeError(w, http.StatusBadRequest, "ORDERPAID", "该订单已支付")
		return
	}
	o.State = StateClosed
	w.WriteHeader(http.StatusNoContent)
}

// Errors from Pay.
var (
	ErrNoOrder      = errors.New("wechatsim: no such prepay_id")
	ErrNotPayable   = errors.New("wechatsim: order is not awaiting payment")
	ErrOrderExpired = errors.New("wechatsim: order expired")
)

// Pay pays the order behind prepayID as if the payer confirmed WeChat's
// pay sheet, and starts its TRANSACTION.SUCCESS notify. Paying a paid order
// again is a no-op returning nil.
func (s *Server) Pay(prepayID string) error {
	s.init()
	s.mu.Lock()
	o := s.byPrepay[prepayID]
	switch {
	case o == nil:
		s.mu.Unlock()
		return ErrNoOrder
	case o.State == StateSuccess || o.State == StateRefund:
		s.mu.Unlock()
		return nil
	case o.State != StateNotPay:
		s.mu.Unlock()
		return ErrNotPayable
	case s.Now().After(o.TimeExpire):
		s.mu.Unlock()
		return ErrOrderExpired
	}
	o.State = StateSuccess
	o.SuccessTime = s.Now()
	o.TransactionID = fmt.Sprintf("42%s%08d", s.Now().In(biz.Zone).Format("20060102"), s.nextSeq())
	s.byTxID[o.TransactionID] = o
	tx := o.transactionJSON()
	f := s.faults
	notifyURL, apiKey := o.NotifyURL, ""
	if m, ok := s.merchant(o.SpMchID); ok {
		apiKey = m.APIv3Key
	}
	s.mu.Unlock()

	if f.MismatchAmountFen != 0 {
		total := o.Total + f.MismatchAmountFen
		tx["amount"] = map[string]any{"total": total, "payer_total": total, "currency": "CNY", "payer_currency": "CNY"}
	}
	if f.MismatchSubMchID != "" {
		tx["sub_mchid"] = f.MismatchSubMchID
	}
	s.startNotify(event{
		eventType: "TRANSACTION.SUCCESS", summary: "支付成功", originalType: "transaction",
		resource: tx, url: notifyURL, apiV3Key: apiKey, outTradeNo: o.OutTradeNo, mchID: o.SpMchID,
	}, f)
	return nil
}

// Order returns the order spMchID/outTradeNo.
func (s *Server) Order(spMchID, outTradeNo string) (Order, bool) {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[spMchID+"/"+outTradeNo]
	if !ok {
		return Order{}, false
	}
	return o.view(), true
}

// Orders returns every order, oldest first.
func (s *Server) Orders() []Order {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Order, 0, len(s.orders))
	for _, o := range s.orders {
		out = append(out, o.view())
	}
	sortBy(out, func(o Order) string { return o.PrepayID })
	return out
}
