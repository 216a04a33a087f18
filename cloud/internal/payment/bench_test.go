package payment_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/database"
	"github.com/qrstand/qrstand/cloud/internal/dbtest"
	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/payment"
	"github.com/qrstand/qrstand/cloud/internal/payment/paytest"
)

// signedNotify builds a TRANSACTION.SUCCESS notify for o the way WeChat
// does: resource sealed with AEAD_AES_256_GCM under the APIv3 key, body
// signed with the platform key (RSA-SHA256 over timestamp, nonce, body).
func signedNotify(b *testing.B, w *paytest.World, platform *rsa.PrivateKey, o model.Order, i int) *http.Request {
	b.Helper()
	res, _ := json.Marshal(map[string]any{
		"sp_appid": paytest.SpAppID, "sp_mchid": o.SpMchID, "sub_mchid": o.SubMchID, "out_trade_no": o.OutTradeNo,
		"transaction_id": fmt.Sprintf("4200%016d", i), "trade_type": "JSAPI", "trade_state": "SUCCESS", "trade_state_desc": "支付成功",
		"bank_type": "OTHERS", "success_time": time.Now().Format(time.RFC3339),
		"payer":  map[string]string{"sp_openid": paytest.PayerID},
		"amount": map[string]any{"total": o.AmountFen, "payer_total": o.AmountFen, "currency": "CNY", "payer_currency": "CNY"},
	})
	block, _ := aes.NewCipher([]byte(paytest.APIv3Key))
	gcm, _ := cipher.NewGCM(block)
	nb := make([]byte, 6)
	rand.Read(nb)
	nonce := hex.EncodeToString(nb)
	ct := gcm.Seal(nil, []byte(nonce), res, []byte("transaction"))
	body, _ := json.Marshal(map[string]any{
		"id": fmt.Sprintf("notify-%d", i), "create_time": time.Now().Format(time.RFC3339), "resource_type": "encrypt-resource",
		"event_type": "TRANSACTION.SUCCESS", "summary": "支付成功",
		"resource": map[string]any{"original_type": "transaction", "algorithm": "AEAD_AES_256_GCM",
			"ciphertext": base64.StdEncoding.EncodeToString(ct), "associated_data": "transaction", "nonce": nonce},
	})
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	hnonce := hex.EncodeToString(nb) + "abcdef"
	h := sha256.Sum256([]byte(ts + "\n" + hnonce + "\n" + string(body) + "\n"))
	sig, err := rsa.SignPKCS1v15(rand.Reader, platform, crypto.SHA256, h[:])
	if err != nil {
		b.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, "/wxpay/notify", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Wechatpay-Serial", w.Sim.PlatformPublicKeyID())
	r.Header.Set("Wechatpay-Timestamp", ts)
	r.Header.Set("Wechatpay-Nonce", hnonce)
	r.Header.Set("Wechatpay-Signature", base64.StdEncoding.EncodeToString(sig))
	return r
}

// BenchmarkNotifyToOutbox: verified notifies per second taken all the way
// to the outbox (SDK verify + decrypt, cross-check, the NOTPAY→SUCCESS
// transaction with two stand rows and one template row), and the p99 time
// of one notify, on SQLite and PostgreSQL. Sequential and with 8 notifies
// in flight.
func BenchmarkNotifyToOutbox(b *testing.B) {
	for _, d := range dbtest.Dialects() {
		for _, par := range []int{1, 8} {
			b.Run(fmt.Sprintf("%s/inflight=%d", d, par), func(b *testing.B) { benchNotify(b, d, par) })
		}
	}
}

func benchNotify(b *testing.B, d database.Dialect, par int) {
	w := paytest.New(b, paytest.Options{Dialect: d, Retry: never})
	_, platform := paytest.Keys()
	h := w.Client.NotifyHandler(w.Svc.HandleNotify)
	ctx := context.Background()
	now := time.Now()
	reqs := make([]*http.Request, b.N)
	for i := range reqs {
		o := model.Order{OutTradeNo: payment.NewOutTradeNo(), StoreID: w.Store.ID, MerchantID: w.Store.MerchantID, ProviderID: "p",
			SpMchID: paytest.SpMchID, SubMchID: paytest.SubMchID, AmountFen: int64(100 + i), State: model.OrderNotPay,
			PayerOpenID: paytest.PayerID, CreatedAt: now, TimeExpire: now.Add(10 * time.Minute)}
		if err := w.St.CreateOrder(ctx, o); err != nil {
			b.Fatal(err)
		}
		reqs[i] = signedNotify(b, w, platform, o, i)
	}
	durs := make([]time.Duration, b.N)
	next := make(chan int, b.N)
	for i := range b.N {
		next <- i
	}
	close(next)
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for range par {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				t0 := time.Now()
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, reqs[i])
				durs[i] = time.Since(t0)
				if rec.Code != http.StatusOK {
					b.Errorf("notify %d: %d %s", i, rec.Code, rec.Body.String())
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(durs)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "notifies/s")
	b.ReportMetric(float64(durs[(len(durs)*99)/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(durs[len(durs)/2].Microseconds())/1000, "p50-ms")
	counts, err := w.St.OutboxCounts(ctx)
	if err != nil || counts[model.OutboxPending] != 3*b.N {
		b.Fatalf("outbox rows %v (want %d pending), %v", counts, 3*b.N, err)
	}
}
