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
	"github.com/qrstand/qrstand/cloud/internal/storage"
)

// signedNotify builds a TRANSACTION.SUCCESS notify for o the way WeChat
// does: resource sealed with AEAD_AES_256_GCM under the APIv3 key, body
// signed with the platform key (RSA-SHA256 over timestamp, nonce, body).
func signedNotify(b testing.TB, w *paytest.World, platform *rsa.PrivateKey, o model.Order, i int) *http.Request {
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
// in flight, for one store and for notifies spread over 8 stores.
//
// raw-durable-1row is the floor in the same process: one-row write
// transactions one after the other on the same kind of database (SQLite
// synchronous=FULL, PostgreSQL synchronous_commit on). Each notify run
// also measures that floor (raw-txn/s, interleaved with its notifies) and
// reports ratio-to-raw: notifies/s ÷ raw durable
// txn/s. Above 1 means several notifies share one durable commit (group
// commit).
func BenchmarkNotifyToOutbox(b *testing.B) {
	for _, d := range dbtest.Dialects() {
		b.Run(fmt.Sprintf("%s/raw-durable-1row", d), func(b *testing.B) { benchRaw(b, d) })
		for _, par := range []int{1, 8} {
			b.Run(fmt.Sprintf("%s/inflight=%d", d, par), func(b *testing.B) { benchNotify(b, d, par, 1) })
		}
		b.Run(fmt.Sprintf("%s/inflight=8/stores=8", d), func(b *testing.B) { benchNotify(b, d, 8, 8) })
	}
}

// rawRate is the last raw-durable-1row txn/s per dialect.
var rawRate = map[database.Dialect]float64{}

func benchRaw(b *testing.B, d database.Dialect) {
	insert := rawInserter(b, d)
	b.ResetTimer()
	rawRate[d] = insert(b.N)
	b.ReportMetric(rawRate[d], "txn/s")
}

// rawInserter opens a fresh database of dialect d and returns a function
// that runs n one-row write transactions one after another and returns
// their rate (txn/s): the durable floor.
func rawInserter(b *testing.B, d database.Dialect) func(n int) float64 {
	db := dbtest.OpenDB(b, d)
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `CREATE TABLE bench_raw (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	ins := `INSERT INTO bench_raw (id, v) VALUES (?, ?)`
	if d == database.Postgres {
		ins = `INSERT INTO bench_raw (id, v) VALUES ($1, $2)`
	}
	next := 0
	return func(n int) float64 {
		start := time.Now()
		for range n {
			next++
			if _, err := db.ExecContext(ctx, ins, next, "paid"); err != nil {
				b.Fatal(err)
			}
		}
		return float64(n) / time.Since(start).Seconds()
	}
}

// A notify sub-benchmark alternates notifyChunk notifies with floorChunk
// raw durable transactions: on a shared machine the disk and the CPU
// change from minute to minute, so ratio-to-raw compares the notifies with
// the floor measured in the same minutes, not minutes earlier.
const (
	notifyChunk = 100
	floorChunk  = 25
)

func benchNotify(b *testing.B, d database.Dialect, par, stores int) {
	w := paytest.New(b, paytest.Options{Dialect: d, Retry: never})
	_, platform := paytest.Keys()
	h := w.Client.NotifyHandler(w.Svc.HandleNotify)
	ctx := context.Background()
	now := time.Now()
	storeIDs := []string{w.Store.ID}
	for k := 1; k < stores; k++ {
		st, _, _, err := w.St.CreateStore(ctx, w.Store.MerchantID, storage.StoreInput{Name: fmt.Sprintf("分店 %d", k)}, time.Hour, now)
		if err != nil {
			b.Fatal(err)
		}
		for _, sfx := range []string{"a", "b"} {
			id := fmt.Sprintf("qrs-bench-%03d%s", k, sfx)
			if _, err := w.St.RegisterStand(ctx, id, "secret", now); err != nil {
				b.Fatal(err)
			}
			if err := w.St.SetPairCode(ctx, id, "12345678", now.Add(time.Hour)); err != nil {
				b.Fatal(err)
			}
			if _, err := w.St.PairStand(ctx, id, "12345678", st.ID, now); err != nil {
				b.Fatal(err)
			}
		}
		storeIDs = append(storeIDs, st.ID)
	}
	reqs := make([]*http.Request, b.N)
	nos := make([]string, b.N)
	for i := range reqs {
		o := model.Order{OutTradeNo: payment.NewOutTradeNo(), StoreID: storeIDs[i%len(storeIDs)], MerchantID: w.Store.MerchantID, ProviderID: "p",
			SpMchID: paytest.SpMchID, SubMchID: paytest.SubMchID, AmountFen: int64(100 + i), State: model.OrderNotPay,
			PayerOpenID: paytest.PayerID, CreatedAt: now, TimeExpire: now.Add(10 * time.Minute)}
		if err := w.St.CreateOrder(ctx, o); err != nil {
			b.Fatal(err)
		}
		nos[i] = o.OutTradeNo
		reqs[i] = signedNotify(b, w, platform, o, i)
	}
	durs := make([]time.Duration, b.N)
	floor := rawInserter(b, d)
	b.ResetTimer()
	// Notifies in chunks of notifyChunk (par in flight), each chunk
	// followed by floorChunk raw durable transactions: both rates are
	// taken over the same minutes, whatever the machine does meanwhile.
	var notifyTime, rawTime time.Duration
	rawN := 0
	for lo := 0; lo < b.N; lo += notifyChunk {
		hi := min(lo+notifyChunk, b.N)
		next := make(chan int, hi-lo)
		for i := lo; i < hi; i++ {
			next <- i
		}
		close(next)
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
		notifyTime += time.Since(start)
		start = time.Now()
		floor(floorChunk)
		rawTime += time.Since(start)
		rawN += floorChunk
	}
	b.StopTimer()
	raw := float64(rawN) / rawTime.Seconds()
	slices.Sort(durs)
	rate := float64(b.N) / notifyTime.Seconds()
	b.ReportMetric(rate, "notifies/s")
	b.ReportMetric(raw, "raw-txn/s")
	b.ReportMetric(rate/raw, "ratio-to-raw")
	b.ReportMetric(float64(durs[(len(durs)*99)/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(durs[len(durs)/2].Microseconds())/1000, "p50-ms")
	// Every notified order is paid, with its outbox rows: two stand rows
	// each, plus the on-duty clerk's template in the first store.
	want := 0
	for i, no := range nos {
		o, err := w.St.Order(ctx, no)
		if err != nil || !o.Paid() {
			b.Fatalf("order %s: %s %v", no, o.State, err)
		}
		want += 2
		if i%len(storeIDs) == 0 {
			want++
		}
	}
	counts, err := w.St.OutboxCounts(ctx)
	if err != nil || counts[model.OutboxPending] != want {
		b.Fatalf("outbox rows %v (want %d pending), %v", counts, want, err)
	}
}
