package server

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/payment"
	"github.com/qrstand/qrstand/cloud/internal/storage"
	"github.com/qrstand/qrstand/mqtt/mqtttest"
)

// waitOrder polls until cond holds for the order.
func waitOrder(t *testing.T, st *storage.Storage, no string, cond func(model.Order) bool) model.Order {
	t.Helper()
	var o model.Order
	mqtttest.WaitFor(t, "order "+no, func() bool {
		var err error
		o, err = st.Order(context.Background(), no)
		return err == nil && cond(o)
	})
	return o
}

// Over the wire of a running server: the simulator's notify reaches
// /wxpay/notify; an admin with the refund permission refunds through the
// order page's form, and the same form submitted twice is one refund; a
// manager without the permission gets 404 and changes nothing; an
// over-refund is refused with a message.
func TestRefundThroughOrderPage(t *testing.T) {
	ts := startServer(t)
	st := ts.Storage()
	ctx := context.Background()
	now := time.Now()
	sh := newShop(t, ts, plainShop)
	m, acode, store, mcode := sh.merchant, sh.adminCode, sh.store, sh.managerCode
	admin := wechatClient(t, ts, "王老板")
	if _, err := st.Activate(ctx, acode.Token, model.RoleAdmin, m.ID, ts.Sim().OpenID("王老板"), false, now); err != nil {
		t.Fatal(err)
	}
	mgr := wechatClient(t, ts, "李店长")
	if _, err := st.Activate(ctx, mcode.Token, model.RoleManager, store.ID, ts.Sim().OpenID("李店长"), false, now); err != nil {
		t.Fatal(err)
	}
	c, err := ts.Payments().Create(ctx, payment.CreateInput{Store: store, Amount: "50.00", PayerOpenID: "o-payer-000000000000001"})
	if err != nil {
		t.Fatal(err)
	}
	if err := ts.WeChatPaySim().Pay(c.Prepay.PrepayID); err != nil {
		t.Fatal(err)
	}
	no := c.Order.OutTradeNo
	waitOrder(t, st, no, model.Order.Paid)

	target := no // the order the refund form is for
	refundForm := func(client *http.Client, amount, refundNo string) (int, string) {
		t.Helper()
		resp, err := client.Get(ts.base + "/o/" + target) // sets the CSRF cookie
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		resp, err = client.PostForm(ts.base+"/o/"+target+"/refund", url.Values{"csrf": {csrfOf(t, client, ts.base)}, "amount": {amount}, "refund_no": {refundNo}, "reason": {"退一碗"}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := refundForm(mgr, "10.00", payment.NewOutRefundNo()); code != http.StatusNotFound {
		t.Errorf("manager without refund permission: %d, want 404", code)
	}
	rno := payment.NewOutRefundNo()
	for i := range 2 {
		if code, body := refundForm(admin, "20.00", rno); code != http.StatusOK || !strings.Contains(body, rno) {
			t.Fatalf("refund submit %d: %d", i, code)
		}
	}
	// Refused on the order page itself, inline, with the amount kept.
	if code, body := refundForm(admin, "30.01", payment.NewOutRefundNo()); code != http.StatusUnprocessableEntity ||
		!strings.Contains(body, `id="refund-error"`) || !strings.Contains(body, "退款金额超过了可退金额") || !strings.Contains(body, `value="30.01"`) {
		t.Errorf("over-refund: %d", code)
	}
	// The refund number travels in the form: a malformed one is a 400
	// with a message, not a 502 from WeChat.
	for _, bad := range []string{strings.Repeat("R", 65), "R 1", "R/1"} {
		if code, body := refundForm(admin, "1.00", bad); code != http.StatusBadRequest || !strings.Contains(body, "页面已过期") {
			t.Errorf("refund number %q: %d", bad, code)
		}
	}
	// An unpaid order: 409 with a message, nothing asked of WeChat.
	unpaid, err := ts.Payments().Create(ctx, payment.CreateInput{Store: store, Amount: "5.00", PayerOpenID: "o-payer-000000000000001"})
	if err != nil {
		t.Fatal(err)
	}
	target = unpaid.Order.OutTradeNo
	if code, body := refundForm(admin, "1.00", payment.NewOutRefundNo()); code != http.StatusConflict || !strings.Contains(body, "订单尚未支付") {
		t.Errorf("refund of an unpaid order: %d", code)
	}
	target = no
	o := waitOrder(t, st, no, func(o model.Order) bool { return o.RefundedFen == 2000 })
	if o.State != model.OrderRefund {
		t.Errorf("state %s", o.State)
	}
	if n := len(ts.WeChatPaySim().Refunds()); n != 1 {
		t.Errorf("simulator holds %d refunds, want 1", n)
	}
	if rs, _ := st.RefundsOf(ctx, no); len(rs) != 1 {
		t.Errorf("%d refunds stored, want 1", len(rs))
	}
}

// The pay page refuses a bad amount with the parser's message in the
// payer's language, keeps what was typed, and places no order.
func TestPayPageAmountMessages(t *testing.T) {
	ts := startServer(t)
	store := newShop(t, ts, plainShopNoManager).store
	payer := wechatClient(t, ts, "顾客乙")
	for _, tc := range []struct {
		lang, amount, want string
	}{
		{"zh-CN", "0.001", "金额最多保留两位小数（精确到分）"},
		{"en", "0.001", "Amounts can have at most two decimal places."},
		{"en", "abc", "Amount"},
	} {
		resp, err := payer.Get(ts.base + "/s/" + store.CodeToken + "?lang=" + tc.lang)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		resp, err = payer.PostForm(ts.base+"/pay/"+store.ID, url.Values{"csrf": {csrfOf(t, payer, ts.base)}, "amount": {tc.amount}})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body := string(b)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="amount-error"`) || !strings.Contains(body, tc.want) ||
			!strings.Contains(body, `value="`+tc.amount+`"`) {
			t.Errorf("%s %q: %d, want 422 with %q", tc.lang, tc.amount, resp.StatusCode, tc.want)
		}
	}
	if n := len(ts.WeChatPaySim().Orders()); n != 0 {
		t.Errorf("simulator got %d orders", n)
	}
}
