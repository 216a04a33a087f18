package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/wxpay"
)

// TestStandalone starts the command on a free port with fresh keys, builds
// a wxpay client from the files it wrote, and pays an order through the
// admin endpoint.
func TestStandalone(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan Summary, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-keys", t.TempDir(), "-speedup", "1000"}, io.Discard, ready)
	}()
	var sum Summary
	select {
	case sum = <-ready:
	case err := <-done:
		t.Fatalf("run: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("not ready")
	}
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()

	read := func(p string) string {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	priv, err := wxpay.ParsePrivateKey(read(sum.PrivateKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := wxpay.ParsePublicKey(read(sum.PlatformPublicKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	c, err := wxpay.New(wxpay.Config{
		SpAppID: "wxdev", SpMchID: sum.SpMchID, MerchantSerial: sum.MerchantSerial, PrivateKey: priv,
		APIv3Key: strings.TrimSpace(read(sum.APIv3KeyFile)), PlatformPublicKey: pub,
		PlatformPublicKeyID: sum.PlatformPublicKeyID, NotifyURL: "http://127.0.0.1:1/notify",
		SandboxBaseURL: sum.SandboxBaseURL,
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Prepay(ctx, wxpay.PrepayRequest{SubMchID: "1900000109", OutTradeNo: "QRS-CMD-000001", AmountFen: 1250, SpOpenID: "o1", Description: "面"})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(sum.SandboxBaseURL+"/sim/orders/"+res.PrepayID+"/pay", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("admin pay: %d", resp.StatusCode)
	}
	q, err := c.QueryByOutTradeNo(ctx, "1900000109", "QRS-CMD-000001")
	if err != nil || q.TradeState != wxpay.TradeSuccess {
		t.Fatalf("query = %+v, %v", q, err)
	}
}
