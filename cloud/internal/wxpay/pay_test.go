package wxpay

import (
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"crypto/rsa"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/qrstand/qrstand/cloud/internal/wechatsim"
)

// TestHappyPath: prepay → the simulator's confirm page → notify verified by
// wxpay → query says SUCCESS, all through the unmodified SDK.
func TestHappyPath(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	res := e.prepay(t, "QRS20261125000001", 1250)

	// The paySign the page hands to getBrandWCPayRequest verifies with the
	// merchant's public key.
	j := res.JSAPI
	if j.AppID != testSpAppID || j.Package != "prepay_id="+res.PrepayID || j.SignType != "RSA" {
		t.Fatalf("JSAPI params = %+v", j)
	}
	mk, _ := testKeys(t)
	sig, _ := base64.StdEncoding.DecodeString(j.PaySign)
	h := sha256.Sum256([]byte(j.AppID + "\n" + j.TimeStamp + "\n" + j.NonceStr + "\n" + j.Package + "\n"))
	if err := rsa.VerifyPKCS1v15(&mk.PublicKey, crypto.SHA256, h[:], sig); err != nil {
		t.Fatalf("paySign does not verify: %v", err)
	}

	before, err := e.client.QueryByOutTradeNo(ctx, testSubMchID, "QRS20261125000001")
	if err != nil || before.TradeState != TradeNotPay {
		t.Fatalf("query before paying = %+v, %v", before, err)
	}

	// The confirm page shows the amount and the payee, and confirming
	// redirects to the return URL.
	confirm := wechatsim.ConfirmURL(e.simSrv.URL, res.PrepayID, "https://pay.example.com/result?o=1")
	page := get(t, confirm)
	for _, want := range []string{"12.50", "老王面馆", "确认支付", "取消"} {
		if !strings.Contains(page, want) {
			t.Errorf("confirm page lacks %q", want)
		}
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.PostForm(e.simSrv.URL+wechatsim.ConfirmPath, url.Values{
		"prepay_id": {res.PrepayID}, "return": {"https://pay.example.com/result?o=1"}, "action": {"confirm"},
	})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther ||
		loc != "https://pay.example.com/result?err_msg=get_brand_wcpay_request%3Aok&o=1" {
		t.Fatalf("confirm answered %d Location %q", resp.StatusCode, loc)
	}

	ns := e.waitNotifies(t, 1)
	n := ns[0]
	if n.EventType != "TRANSACTION.SUCCESS" || n.Transaction == nil {
		t.Fatalf("notify = %+v", n)
	}
	got := *n.Transaction
	want := Transaction{
		SpAppID: testSpAppID, SpMchID: testSpMchID, SubMchID: testSubMchID,
		OutTradeNo: "QRS20261125000001", TradeType: "JSAPI", TradeState: TradeSuccess,
		TradeStateDesc: "支付成功", BankType: "OTHERS", SpOpenID: testOpenID,
		AmountFen: 1250, PayerTotalFen: 1250, Currency: "CNY",
	}
	ignore := cmpopts.IgnoreFields(Transaction{}, "TransactionID", "SuccessTime")
	if diff := cmp.Diff(got, want, ignore); diff != "" {
		t.Errorf("notify transaction (-got +want):\n%s", diff)
	}
	if got.TransactionID == "" || got.SuccessTime.IsZero() {
		t.Errorf("notify lacks transaction id or success time: %+v", got)
	}
	e.waitDeliveries(t, func(ds []wechatsim.Delivery) bool { return countAcked(ds) == 1 })

	q, err := e.client.QueryByOutTradeNo(ctx, testSubMchID, "QRS20261125000001")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(q, got); diff != "" {
		t.Errorf("query vs notify (-got +want):\n%s", diff)
	}
	q2, err := e.client.QueryByTransactionID(ctx, testSubMchID, got.TransactionID)
	if err != nil || q2.OutTradeNo != "QRS20261125000001" {
		t.Fatalf("query by id = %+v, %v", q2, err)
	}
}

func get(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestPrepayIdempotent: the same out_trade_no and fields give the same
// prepay_id; different fields are refused; a paid order cannot be prepaid.
func TestPrepayIdempotent(t *testing.T) {
	e := newEnv(t)
	a := e.prepay(t, "QRS-IDEM-0001", 500)
	b := e.prepay(t, "QRS-IDEM-0001", 500)
	if a.PrepayID != b.PrepayID {
		t.Fatalf("prepay ids differ: %s %s", a.PrepayID, b.PrepayID)
	}
	_, err := e.client.Prepay(context.Background(), PrepayRequest{
		SubMchID: testSubMchID, OutTradeNo: "QRS-IDEM-0001", AmountFen: 600, SpOpenID: testOpenID, Description: "x",
	})
	if !errors.Is(err, ErrInvalidReq) || errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("changed prepay err = %v, want ErrInvalidReq", err)
	}
	if err := e.sim.Pay(a.PrepayID); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.Prepay(context.Background(), PrepayRequest{
		SubMchID: testSubMchID, OutTradeNo: "QRS-IDEM-0001", AmountFen: 500, SpOpenID: testOpenID, Description: "老王面馆-扫码付款",
	})
	if !errors.Is(err, ErrOrderPaid) {
		t.Fatalf("prepay of paid order err = %v, want ErrOrderPaid", err)
	}
}

// TestTimeExpireRenderedInShanghai: time_expire goes out with +08:00.
func TestTimeExpireRenderedInShanghai(t *testing.T) {
	e := newEnv(t)
	exp := time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC)
	var seen string
	inner := e.simSrv.Config.Handler
	e.simSrv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v3/pay/partner/transactions/jsapi" {
			b, _ := io.ReadAll(r.Body)
			seen = string(b)
			r.Body = io.NopCloser(strings.NewReader(seen))
		}
		inner.ServeHTTP(w, r)
	})
	_, err := e.client.Prepay(context.Background(), PrepayRequest{
		SubMchID: testSubMchID, OutTradeNo: "QRS-EXPIRE-01", AmountFen: 1, SpOpenID: testOpenID,
		Description: "x", TimeExpire: exp,
	})
	// The simulator refuses an expiry more than 15 days ahead; what matters
	// here is what was sent.
	if !strings.Contains(seen, `"time_expire":"2031-01-02T11:04:05+08:00"`) {
		t.Fatalf("request body %s (err %v) lacks time_expire in +08:00", seen, err)
	}
}

// TestClose: an unpaid order closes (a signed 204); a paid one cannot.
func TestClose(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.prepay(t, "QRS-CLOSE-0001", 100)
	if err := e.client.Close(ctx, testSubMchID, "QRS-CLOSE-0001"); err != nil {
		t.Fatalf("Close: %v", err)
	}
	q, err := e.client.QueryByOutTradeNo(ctx, testSubMchID, "QRS-CLOSE-0001")
	if err != nil || q.TradeState != TradeClosed {
		t.Fatalf("after close: %+v, %v", q, err)
	}
	e.paid(t, "QRS-CLOSE-0002", 100)
	if err := e.client.Close(ctx, testSubMchID, "QRS-CLOSE-0002"); !errors.Is(err, ErrOrderPaid) {
		t.Fatalf("close of paid order err = %v, want ErrOrderPaid", err)
	}
	if _, err := e.client.QueryByOutTradeNo(ctx, testSubMchID, "QRS-NO-SUCH-1"); !errors.Is(err, ErrOrderNotExist) {
		t.Fatalf("query of unknown order err = %v, want ErrOrderNotExist", err)
	}
	// Another sub-merchant cannot see the order.
	if _, err := e.client.QueryByOutTradeNo(ctx, "1900000110", "QRS-CLOSE-0002"); !errors.Is(err, ErrOrderNotExist) {
		t.Fatalf("query under another sub_mchid err = %v, want ErrOrderNotExist", err)
	}
}
