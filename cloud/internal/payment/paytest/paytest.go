// Package paytest builds a payment test world: a fresh database (SQLite or
// PostgreSQL via dbtest), the WeChat Pay simulator, a wxpay client over the
// unmodified SDK pointed at it, the payment service and its notify endpoint
// on a loopback HTTP server, and a merchant with one store, two paired
// stands, an admin who may refund and a clerk on shift who wants messages.
package paytest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/authz"
	"github.com/qrstand/qrstand/cloud/internal/database"
	"github.com/qrstand/qrstand/cloud/internal/dbtest"
	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/payment"
	"github.com/qrstand/qrstand/cloud/internal/storage"
	"github.com/qrstand/qrstand/cloud/internal/wechatsim"
	"github.com/qrstand/qrstand/cloud/internal/wxpay"
)

// Fixed ids of the test world.
const (
	SpMchID  = "1900000100"
	SubMchID = "1900000109"
	SpAppID  = "wx8888888888888888"
	Serial   = "3775B6A45ACD588826D15E583A95F5DD2A1B0F5A"
	APIv3Key = "0123456789abcdefghijklmnopqrstuv"
	PayerID  = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
	StandA   = "qrs-test-000a"
	StandB   = "qrs-test-000b"
)

var (
	keysOnce              sync.Once
	merchantKey, platform *rsa.PrivateKey
)

// Keys returns the merchant and platform keys (generated once per process).
func Keys() (*rsa.PrivateKey, *rsa.PrivateKey) {
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

// openStorage opens the world's database.
func openStorage(t testing.TB, opts Options) *storage.Storage {
	t.Helper()
	if opts.SQLitePath == "" {
		return dbtest.Open(t, opts.Dialect)
	}
	ctx := context.Background()
	db, err := database.Open(ctx, database.SQLite, opts.SQLitePath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := database.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	return storage.New(db, database.SQLite, dbtest.Box(t))
}

// World is one test world.
type World struct {
	St      *storage.Storage
	Sim     *wechatsim.Server
	SimURL  string
	Client  *wxpay.Client
	Svc     *payment.Service
	Notify  *httptest.Server // serves POST /wxpay/notify
	Log     *LogCapture
	Store   model.Store
	Admin   model.Staff // may refund
	Clerk   model.Staff // on shift, wants messages
	Manager model.Staff // may not refund
	Now     func() time.Time
}

// Options tune New.
type Options struct {
	Dialect database.Dialect
	// Now is the service's clock (default time.Now).
	Now func() time.Time
	// Retry is the simulator's notify resend schedule before its 1000×
	// speedup (default WeChat's: the first resend after 15 ms).
	Retry []time.Duration
	// SQLitePath, when set, is the SQLite database file to use (created
	// and migrated if new) instead of a fresh one in t.TempDir(): a test
	// that kills the process serving the world reads the file afterwards.
	SQLitePath string
}

// New builds a world; everything stops when the test ends.
func New(t testing.TB, opts Options) *World {
	t.Helper()
	if opts.Dialect == "" {
		opts.Dialect = database.SQLite
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	mk, pk := Keys()
	w := &World{St: openStorage(t, opts), Log: &LogCapture{}, Now: opts.Now}
	w.Sim = &wechatsim.Server{
		Merchants:   []wechatsim.Merchant{{MchID: SpMchID, Name: "QR Stand 服务商", SerialNo: Serial, PublicKey: &mk.PublicKey, APIv3Key: APIv3Key}},
		PlatformKey: pk, Speedup: 1000, RefundDelay: 500 * time.Millisecond, Retry: opts.Retry,
	}
	simSrv := httptest.NewServer(w.Sim)
	w.SimURL = simSrv.URL
	var hmu sync.RWMutex
	var handler http.Handler
	w.Notify = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		hmu.RLock()
		h := handler
		hmu.RUnlock()
		h.ServeHTTP(rw, r)
	}))
	log := slog.New(slog.NewTextHandler(w.Log, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if os.Getenv("QRSTAND_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(&tee{w.Log, os.Stderr}, nil))
	}
	c, err := wxpay.New(wxpay.Config{
		SpAppID: SpAppID, SpMchID: SpMchID, MerchantSerial: Serial, PrivateKey: mk, APIv3Key: APIv3Key,
		PlatformPublicKey: w.Sim.PlatformPublicKey(), PlatformPublicKeyID: w.Sim.PlatformPublicKeyID(),
		NotifyURL: w.Notify.URL + "/wxpay/notify", SandboxBaseURL: simSrv.URL, Log: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	w.Client = c
	w.Svc, err = payment.New(payment.Config{
		Accounts: func(context.Context, string) (payment.Account, error) {
			return payment.Account{Client: c, SpMchID: SpMchID, SpAppID: SpAppID}, nil
		},
		BaseURL: "http://cloud.test", Log: log, Now: opts.Now,
	}, w.St)
	if err != nil {
		t.Fatal(err)
	}
	hmu.Lock()
	handler = c.NotifyHandler(w.Svc.HandleNotify)
	hmu.Unlock()
	t.Cleanup(func() {
		w.Sim.Close()
		simSrv.Close()
		w.Notify.Close()
	})
	w.seed(t)
	return w
}

func (w *World) seed(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	st := w.St
	p, err := st.CreateProvider(ctx, "服务商", SpMchID, SpAppID, model.ProviderSecrets{}, now)
	if err != nil {
		t.Fatal(err)
	}
	m, admin, code, err := st.CreateMerchant(ctx, p.ID, storage.MerchantInput{Name: "老王面馆", SubMchID: SubMchID, AdminName: "老王"}, time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	if w.Admin, err = st.Activate(ctx, code.Token, model.RoleAdmin, m.ID, "o-admin-000000000001", false, now); err != nil {
		t.Fatal(err)
	}
	_ = admin
	store, mgr, mcode, err := st.CreateStore(ctx, m.ID, storage.StoreInput{Name: "老王面馆 五道口店", ManagerName: "小李"}, time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	w.Store = store
	if w.Manager, err = st.Activate(ctx, mcode.Token, model.RoleManager, store.ID, "o-manager-00000000001", false, now); err != nil {
		t.Fatal(err)
	}
	_ = mgr
	_, ccode, err := st.AddStaff(ctx, storage.StaffInput{MerchantID: m.ID, StoreID: store.ID, Role: model.RoleClerk, Name: "小张", ClerkCode: true}, time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	if w.Clerk, err = st.Activate(ctx, ccode.Token, model.RoleClerk, store.ID, "o-clerk-0000000000001", true, now); err != nil {
		t.Fatal(err)
	}
	if err := st.SetNotify(ctx, w.Clerk.ID, true); err != nil {
		t.Fatal(err)
	}
	if w.Clerk, err = st.Staff(ctx, w.Clerk.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.ClockIn(ctx, store.ID, w.Clerk.ID, now); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{StandA, StandB} {
		w.AddStand(t, id)
	}
}

// AddStand registers a stand, pairs it with the store and returns its
// secret.
func (w *World) AddStand(t testing.TB, id string) string {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	secret := "secret-" + id
	if _, err := w.St.RegisterStand(ctx, id, secret, now); err != nil {
		t.Fatal(err)
	}
	if err := w.St.SetPairCode(ctx, id, "12345678", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.St.PairStand(ctx, id, "12345678", w.Store.ID, now); err != nil {
		t.Fatal(err)
	}
	return secret
}

// AdminRoles are the admin's roles (refund allowed).
func (w *World) AdminRoles() authz.Roles { return authz.Roles{w.Admin} }

// Place creates an order of amount (yuan text) through the service.
func (w *World) Place(t testing.TB, amount string) payment.Created {
	t.Helper()
	c, err := w.Svc.Create(context.Background(), payment.CreateInput{Store: w.Store, Amount: amount, Remark: "加辣", PayerOpenID: PayerID})
	if err != nil {
		t.Fatalf("Create(%s): %v", amount, err)
	}
	return c
}

// WaitDeliveries waits until done holds for the simulator's deliveries.
func (w *World) WaitDeliveries(t testing.TB, done func([]wechatsim.Delivery) bool) []wechatsim.Delivery {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ds, err := w.Sim.WaitDeliveries(ctx, done)
	if err != nil {
		t.Fatalf("%v; deliveries: %+v", err, ds)
	}
	return ds
}

// AckedFor reports whether a notify for out was acknowledged (2xx).
func AckedFor(out string) func([]wechatsim.Delivery) bool {
	return func(ds []wechatsim.Delivery) bool {
		for _, d := range ds {
			if d.OutTradeNo == out && d.OutRefundNo == "" && d.Acked() {
				return true
			}
		}
		return false
	}
}

// LogCapture keeps log output for assertions.
type LogCapture struct {
	mu  sync.Mutex
	buf []byte
}

func (l *LogCapture) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	return len(p), nil
}

// String returns everything logged so far.
func (l *LogCapture) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.buf)
}

type tee struct {
	a, b interface{ Write([]byte) (int, error) }
}

func (t *tee) Write(p []byte) (int, error) { t.a.Write(p); return t.b.Write(p) }
