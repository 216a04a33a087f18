package wxpay_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"net/http/httptest"

	"github.com/qrstand/qrstand/cloud/internal/wechatsim"
	"github.com/qrstand/qrstand/cloud/internal/wxpay"
)

// A client in sandbox mode against an in-process simulator: prepay, pay on
// the simulator, query.
func Example_sandbox() {
	merchantKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	sim := &wechatsim.Server{Merchants: []wechatsim.Merchant{{
		MchID: "1900000100", SerialNo: "MERCHANT-SERIAL", PublicKey: &merchantKey.PublicKey,
		APIv3Key: "0123456789abcdefghijklmnopqrstuv",
	}}}
	srv := httptest.NewServer(sim)
	defer srv.Close()
	defer sim.Close()

	c, err := wxpay.New(wxpay.Config{
		SpAppID: "wx8888888888888888", SpMchID: "1900000100", MerchantSerial: "MERCHANT-SERIAL",
		PrivateKey: merchantKey, APIv3Key: "0123456789abcdefghijklmnopqrstuv",
		PlatformPublicKey: sim.PlatformPublicKey(), PlatformPublicKeyID: sim.PlatformPublicKeyID(),
		NotifyURL:      "http://127.0.0.1:1/wxpay/notify", // nobody listens: the query finds the payment
		SandboxBaseURL: srv.URL,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	res, err := c.Prepay(ctx, wxpay.PrepayRequest{
		SubMchID: "1900000109", OutTradeNo: "QRS20261125000001", AmountFen: 1250,
		SpOpenID: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", Description: "老王面馆-扫码付款",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.JSAPI.SignType, res.JSAPI.Package == "prepay_id="+res.PrepayID)
	_ = sim.Pay(res.PrepayID) // what the confirm page does
	tx, err := c.QueryByOutTradeNo(ctx, "1900000109", "QRS20261125000001")
	fmt.Println(tx.TradeState, tx.AmountFen, err)
	// Output:
	// RSA true
	// SUCCESS 1250 <nil>
}
