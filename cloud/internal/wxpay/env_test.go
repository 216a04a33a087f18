package wxpay

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/wechatsim"
)

const (
	testSpMchID  = "1900000100"
	testSubMchID = "1900000109"
	testSpAppID  = "wx8888888888888888"
	testSerial   = "3775B6A45ACD588826D15E583A95F5DD2A1B0F5A"
	testAPIv3Key = "0123456789abcdefghijklmnopqrstuv"
	testOpenID   = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
)

// RSA key generation is slow; every test shares one merchant and one
// platform key.
var (
	keysOnce              sync.Once
	merchantKey, platform *rsa.PrivateKey
)

func testKeys(t testing.TB) (*rsa.PrivateKey, *rsa.PrivateKey) {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		if merchantKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if platform, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	return merchantKey, platform
}

// env is a simulator, a Client pointed at it, and a notify receiver that
// runs the Client's NotifyHandler.
type env struct {
	sim    *wechatsim.Server
	simSrv *httptest.Server
	client *Client
	rcvSrv *httptest.Server

	mu      sync.Mutex
	got     []Notify
	cbErr   error
	arrived chan struct{}
}

type envOpt func(*wechatsim.Server, *Config)

func newEnv(t testing.TB, opts ...envOpt) *env {
	t.Helper()
	mk, pk := testKeys(t)
	e := &env{arrived: make(chan struct{}, 1000)}
	e.sim = &wechatsim.Server{
		Merchants: []wechatsim.Merchant{{
			MchID: testSpMchID, Name: "QR Stand 服务商", SerialNo: testSerial,
			PublicKey: &mk.PublicKey, APIv3Key: testAPIv3Key,
			SubMerchants: map[string]string{testSubMchID: "老王面馆", "1900000110": "隔壁奶茶"},
		}},
		PlatformKey: pk,
		Speedup:     1000, // WeChat's 15 s retry becomes 15 ms
		RefundDelay: time.Second,
	}
	e.simSrv = httptest.NewServer(e.sim)
	var handler http.Handler
	var hmu sync.Mutex
	e.rcvSrv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hmu.Lock()
		h := handler
		hmu.Unlock()
		h.ServeHTTP(w, r)
	}))
	cfg := Config{
		SpAppID: testSpAppID, SpMchID: testSpMchID, MerchantSerial: testSerial,
		PrivateKey: mk, APIv3Key: testAPIv3Key,
		PlatformPublicKey: e.sim.PlatformPublicKey(), PlatformPublicKeyID: e.sim.PlatformPublicKeyID(),
		NotifyURL:      e.rcvSrv.URL + "/wxpay/notify",
		SandboxBaseURL: e.simSrv.URL,
	}
	for _, o := range opts {
		o(e.sim, &cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	e.client = c
	hmu.Lock()
	handler = c.NotifyHandler(func(ctx context.Context, n Notify) error {
		e.mu.Lock()
		e.got = append(e.got, n)
		err := e.cbErr
		e.mu.Unlock()
		e.arrived <- struct{}{}
		return err
	})
	hmu.Unlock()
	t.Cleanup(func() {
		e.sim.Close() // stops resends before the receiver goes away
		e.simSrv.Close()
		e.rcvSrv.Close()
	})
	return e
}

func (e *env) notifies() []Notify {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Notify(nil), e.got...)
}

// waitNotifies waits until the callback ran n times.
func (e *env) waitNotifies(t testing.TB, n int) []Notify {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for len(e.notifies()) < n {
		select {
		case <-e.arrived:
		case <-timeout:
			t.Fatalf("waited for %d notifies, got %d; deliveries: %+v", n, len(e.notifies()), e.sim.Deliveries())
		}
	}
	return e.notifies()
}

// waitDeliveries waits until the simulator has recorded deliveries for
// which done is true.
func (e *env) waitDeliveries(t testing.TB, done func([]wechatsim.Delivery) bool) []wechatsim.Delivery {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ds, err := e.sim.WaitDeliveries(ctx, done)
	if err != nil {
		t.Fatalf("%v; deliveries: %+v", err, ds)
	}
	return ds
}

func countAcked(ds []wechatsim.Delivery) int {
	n := 0
	for _, d := range ds {
		if d.Acked() {
			n++
		}
	}
	return n
}

// prepay places an order of fen for out.
func (e *env) prepay(t testing.TB, out string, fen int64) PrepayResult {
	t.Helper()
	res, err := e.client.Prepay(context.Background(), PrepayRequest{
		SubMchID: testSubMchID, OutTradeNo: out, AmountFen: fen, SpOpenID: testOpenID,
		Description: "老王面馆-扫码付款", TimeExpire: time.Now().Add(10 * time.Minute),
	})
	if err != nil {
		t.Fatalf("Prepay(%s): %v", out, err)
	}
	return res
}

// paid places an order and pays it in the simulator.
func (e *env) paid(t testing.TB, out string, fen int64) PrepayResult {
	t.Helper()
	res := e.prepay(t, out, fen)
	if err := e.sim.Pay(res.PrepayID); err != nil {
		t.Fatalf("sim.Pay: %v", err)
	}
	return res
}
