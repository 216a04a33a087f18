package ui

import (
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/qrstand/qrstand/cloud/internal/authz"
	"github.com/qrstand/qrstand/cloud/internal/locale"
	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/money"
	"github.com/qrstand/qrstand/cloud/internal/payment"
	"github.com/qrstand/qrstand/cloud/internal/storage"
	"github.com/qrstand/qrstand/mqtt/biz"
)

// PayOptions connect the pay page to the payment service.
type PayOptions struct {
	Service *payment.Service
	// SandboxSheet, in sandbox mode, is the URL of the WeChat Pay
	// simulator's confirm page (the pay sheet stand-in) for a prepay id,
	// which returns the payer to returnURL; nil outside sandbox.
	SandboxSheet func(prepayID, returnURL string) string
	// Kick, when set, wakes the outbox dispatcher after a page wrote
	// outbox rows (a clock-out's 交班单). It must not block.
	Kick func()
}

// kick wakes the dispatcher, if one is wired; it polls anyway.
func (h *Handler) kick() {
	if h.pay.Kick != nil {
		h.pay.Kick()
	}
}

func (h *Handler) payRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /pay/{store}", h.paySubmit)
	mux.HandleFunc("GET /o/{no}", h.orderShow)
	mux.HandleFunc("POST /o/{no}/refund", h.orderRefund)
	mux.HandleFunc("GET /store/{id}/report", h.storeReport)
	mux.HandleFunc("GET /store/{id}/pay-settings", h.paySettingsShow)
	mux.HandleFunc("POST /store/{id}/pay-settings", h.paySettingsSave)
	mux.HandleFunc("GET /console/stores/{id}/report", h.consoleStoreReport)
}

// payView adds what the pay form needs to a pay page view.
func (h *Handler) payView(r *http.Request, v view, st model.Store) {
	v["PayEnabled"] = h.pay.Service != nil
	v["Verified"] = true // every store belongs to a sub-merchant the provider onboarded with WeChat Pay
	if h.pay.Service != nil {
		if limit, err := h.pay.Service.Limit(r.Context(), st.ID); err == nil {
			v["Limit"] = biz.FormatFen(limit)
		}
	}
}

// paySubmit places the order: the amount is checked by money.ParseYuan
// (its message shown on the page), then the payer goes to WeChat's pay
// sheet — getBrandWCPayRequest inside WeChat, the simulator's confirm page
// in sandbox mode.
func (h *Handler) paySubmit(w http.ResponseWriter, r *http.Request) {
	payer, roles, ok := h.requireIdentity(w, r)
	if !ok {
		return
	}
	if h.pay.Service == nil {
		h.notFound(w, r)
		return
	}
	st, err := h.st.Store(r.Context(), r.PathValue("store"))
	if err != nil {
		h.notFound(w, r)
		return
	}
	var clerk model.Staff
	if id := r.PostFormValue("clerk"); id != "" {
		c, err := h.st.Staff(r.Context(), id)
		if err != nil || c.StoreID != st.ID || c.Role != model.RoleClerk {
			h.notFound(w, r)
			return
		}
		clerk = c
	}
	c, err := h.pay.Service.Create(r.Context(), payment.CreateInput{Store: st, Clerk: clerk, Amount: r.PostFormValue("amount"),
		Remark: r.PostFormValue("remark"), PayerOpenID: payer.OpenID, PayerAppID: h.appIDOf(payer.Scope)})
	var ie *money.InputError
	switch {
	case errors.As(err, &ie):
		v := view{"Store": st, "Clerk": clerk, "Amount": r.PostFormValue("amount"), "Remark": r.PostFormValue("remark"),
			"AmountError": ie.Message(string(locale.FromRequest(r)))}
		h.payPageView(w, r, st, roles, clerk, v, http.StatusUnprocessableEntity)
		return
	case errors.Is(err, payment.ErrPayerAppID):
		// The provider's official account is not the AppID of the
		// partner account it pays through: WeChat Pay would refuse.
		h.log.Warn("ui: place order: payer's AppID is not the pay account's", "store", st.ID, "err", err)
		h.fail(w, r, http.StatusServiceUnavailable, "这个门店暂时不能收款：服务商的公众号与微信支付账户不一致。")
		return
	case errors.Is(err, payment.ErrNoAccount):
		h.log.Warn("ui: place order: no WeChat Pay account", "store", st.ID, "err", err)
		h.fail(w, r, http.StatusServiceUnavailable, "这个门店暂时不能收款：服务商还没有配置微信支付账户。")
		return
	case err != nil:
		h.log.Error("ui: place order", "store", st.ID, "err", err)
		h.fail(w, r, http.StatusBadGateway, "微信支付暂时不可用，请稍后再试")
		return
	}
	result := h.urls.Order(c.Order.OutTradeNo)
	if h.pay.SandboxSheet != nil && !strings.Contains(r.UserAgent(), "MicroMessenger") {
		http.Redirect(w, r, h.pay.SandboxSheet(c.Prepay.PrepayID, result), http.StatusSeeOther)
		return
	}
	params, err := json.Marshal(c.Prepay.JSAPI)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "paying", view{"Store": st, "Order": c.Order, "Yuan": biz.FormatFen(c.Order.AmountFen),
		"Params": template.JS(params), "Result": result})
}

// orderShow is the result page (payer, or staff of the store). An unpaid
// order coming back from the pay sheet with ok is queried at once, so the
// page does not wait for the notify.
func (h *Handler) orderShow(w http.ResponseWriter, r *http.Request) {
	openid, roles, ok := h.requireWeChat(w, r)
	if !ok {
		return
	}
	if h.pay.Service == nil {
		h.notFound(w, r)
		return
	}
	o, err := h.st.Order(r.Context(), r.PathValue("no"))
	if err != nil {
		h.notFound(w, r)
		return
	}
	st, err := h.st.Store(r.Context(), o.StoreID)
	if err != nil {
		h.notFound(w, r)
		return
	}
	staff := roles.IsStaffOf(st)
	if o.PayerOpenID != openid && !staff {
		h.notFound(w, r)
		return
	}
	if o.State == model.OrderNotPay && strings.HasSuffix(r.URL.Query().Get("err_msg"), ":ok") {
		if synced, err := h.pay.Service.Sync(r.Context(), o.OutTradeNo); err == nil {
			o = synced
		} else {
			h.log.Warn("ui: query after pay sheet", "order", o.OutTradeNo, "err", err)
		}
	}
	h.renderOrder(w, r, http.StatusOK, roles, o, st, view{"Staff": staff,
		"Cancelled": strings.HasSuffix(r.URL.Query().Get("err_msg"), ":cancel")})
}

// renderOrder renders the result page of o; v may carry a refund form's
// input and its error, shown inline.
func (h *Handler) renderOrder(w http.ResponseWriter, r *http.Request, status int, roles authz.Roles, o model.Order, st model.Store, v view) {
	v["Store"], v["Order"], v["Yuan"], v["Paid"] = st, o, biz.FormatFen(o.AmountFen), o.Paid()
	if o.Paid() {
		if mk, err := h.st.Marketing(r.Context(), st.MerchantID); err == nil {
			v["Marketing"] = mk
		}
	}
	staff := v["Staff"] == true
	if staff && o.Paid() {
		// What each stand of the store did with the payment (its ledger).
		if evs, err := h.st.OrderLedger(r.Context(), o.OutTradeNo); err == nil {
			lines := make([]ledgerLine, len(evs))
			for i, e := range evs {
				lines[i] = ledgerText(locale.FromRequest(r), e)
			}
			v["Ledger"], v["LedgerStands"] = lines, len(lines) > 1
		} else {
			h.log.Warn("ui: order ledger", "order", o.OutTradeNo, "err", err)
		}
	}
	if staff {
		refunds, _ := h.st.RefundsOf(r.Context(), o.OutTradeNo)
		v["Refunds"] = refunds
		v["Refunded"] = biz.FormatFen(o.RefundedFen)
		if _, can := payment.Refunder(roles, st); can && o.Paid() && o.RefundedFen < o.AmountFen {
			v["CanRefund"] = true
			if v["RefundNo"] == nil {
				v["RefundNo"] = payment.NewOutRefundNo()
			}
			v["Left"] = biz.FormatFen(o.AmountFen - o.RefundedFen)
		}
	}
	h.render(w, r, status, "result", v)
}

// orderRefund: staff with the refund permission refund part or all of an
// order; the form carries its out_refund_no, so a double submit is one
// refund.
func (h *Handler) orderRefund(w http.ResponseWriter, r *http.Request) {
	_, roles, ok := h.requireWeChat(w, r)
	if !ok {
		return
	}
	if h.pay.Service == nil {
		h.notFound(w, r)
		return
	}
	o, err := h.st.Order(r.Context(), r.PathValue("no"))
	if err != nil {
		h.notFound(w, r)
		return
	}
	st, err := h.st.Store(r.Context(), o.StoreID)
	if err != nil || !roles.IsStaffOf(st) {
		h.notFound(w, r)
		return
	}
	// A refused refund comes back on the order page with what was typed
	// and the reason, and the same out_refund_no (nothing was recorded).
	again := func(status int, msg string) {
		h.renderOrder(w, r, status, roles, o, st, view{"Staff": true, "RefundError": msg, "RefundAmount": r.PostFormValue("amount"),
			"RefundReason": r.PostFormValue("reason"), "RefundNo": r.PostFormValue("refund_no")})
	}
	fen, err := money.ParseYuan(r.PostFormValue("amount"), o.AmountFen)
	var ie *money.InputError
	if errors.As(err, &ie) {
		again(http.StatusUnprocessableEntity, ie.ZH)
		return
	}
	_, err = h.pay.Service.Refund(r.Context(), roles, payment.RefundInput{OutTradeNo: o.OutTradeNo, OutRefundNo: r.PostFormValue("refund_no"),
		AmountFen: fen, Reason: r.PostFormValue("reason")})
	switch {
	case errors.Is(err, payment.ErrForbidden):
		h.notFound(w, r)
		return
	case errors.Is(err, storage.ErrOverRefund):
		again(http.StatusUnprocessableEntity, "退款金额超过了可退金额")
		return
	case errors.Is(err, payment.ErrRefundNo):
		h.renderOrder(w, r, http.StatusBadRequest, roles, o, st, view{"Staff": true, "RefundError": "页面已过期，请返回刷新后重试"})
	case errors.Is(err, storage.ErrRefundDiffer):
		h.renderOrder(w, r, http.StatusConflict, roles, o, st, view{"Staff": true, "RefundError": "页面已过期，请返回刷新后重试"})
		return
	case errors.Is(err, storage.ErrNotPaid):
		h.fail(w, r, http.StatusConflict, "订单尚未支付，不能退款")
		return
	case err != nil:
		h.log.Error("ui: refund", "order", o.OutTradeNo, "err", err)
		again(http.StatusBadGateway, "微信支付暂时不可用，请稍后再试")
		return
	}
	http.Redirect(w, r, "/o/"+url.PathEscape(o.OutTradeNo), http.StatusSeeOther)
}

// payPageView renders the pay page with v.
func (h *Handler) payPageView(w http.ResponseWriter, r *http.Request, st model.Store, roles authz.Roles, clerk model.Staff, v view, status int) {
	v["Store"], v["Clerk"] = st, clerk
	// The payer sees who is paid: the merchant (the sub-merchant WeChat
	// shows on the bill) as well as the store.
	if m, err := h.st.Merchant(r.Context(), st.MerchantID); err == nil {
		v["Merchant"] = m
	}
	if roles.CanManageStore(st) {
		v["ManageHref"] = "/store/" + st.ID
	}
	if me, ok := roles.ClerkOf(st.ID); ok {
		v["ClerkHref"] = "/clerk/" + st.ID
		v["Me"] = me
	}
	h.payView(r, v, st)
	h.render(w, r, status, "pay", v)
}
