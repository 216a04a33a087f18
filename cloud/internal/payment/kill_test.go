package payment_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/database"
	"github.com/qrstand/qrstand/cloud/internal/dbtest"
	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/payment"
	"github.com/qrstand/qrstand/cloud/internal/payment/paytest"
	"github.com/qrstand/qrstand/cloud/internal/storage"
)

// killChildEnv names the SQLite file the child process of
// TestNotifySurvivesSIGKILL serves its world from.
const killChildEnv = "QRSTAND_TEST_KILL_CHILD_DB"

// childNotify is what the child tells the parent: where to send the
// notify WeChat would send, and the notify itself.
type childNotify struct {
	URL     string
	Header  http.Header
	Body    []byte
	OrderNo string
}

// TestNotifySurvivesSIGKILL: a process serving the notify endpoint (the
// real payment service, SDK verification and group commit on a SQLite
// file) answers a notify 200 and is SIGKILLed the moment the 200 arrives;
// the order is SUCCESS with its outbox rows when the file is opened again.
// SIGKILL leaves the page cache, so this shows that the 200 waits for the
// commit, not that the commit reached the disk: that is
// database.TestSQLiteSynchronousFull (FULL on every connection) and the
// fsync count in this package's README.
func TestNotifySurvivesSIGKILL(t *testing.T) {
	if path := os.Getenv(killChildEnv); path != "" {
		serveKillChild(t, path)
		return
	}
	dbPath := filepath.Join(t.TempDir(), "cloud.db")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestNotifySurvivesSIGKILL$", "-test.count=1")
	cmd.Env = append(os.Environ(), killChildEnv+"="+dbPath)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()
	var n childNotify
	sc := bufio.NewScanner(out)
	sc.Buffer(nil, 1<<20)
	for n.URL == "" && sc.Scan() {
		_ = json.Unmarshal(sc.Bytes(), &n) // test framework lines are not JSON
	}
	if n.URL == "" {
		t.Fatalf("child gave no notify: %v\n%s", sc.Err(), stderr.String())
	}
	go io.Copy(io.Discard, out)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.URL, bytes.NewReader(n.Body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = n.Header
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	code := resp.StatusCode
	if err := cmd.Process.Kill(); err != nil { // SIGKILL, before anything else
		t.Fatal(err)
	}
	resp.Body.Close()
	cmd.Wait()
	if code != http.StatusOK {
		t.Fatalf("notify answered %d, want 200\n%s", code, stderr.String())
	}

	db, err := database.Open(ctx, database.SQLite, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st := storage.New(db, database.SQLite, dbtest.Box(t))
	o, err := st.Order(ctx, n.OrderNo)
	if err != nil || o.State != model.OrderSuccess {
		t.Fatalf("after SIGKILL the order is %q (%v), want SUCCESS", o.State, err)
	}
	var rows int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE ref = ?`, n.OrderNo).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	// Two paired stands and the on-duty clerk who wants messages.
	if rows != 3 {
		t.Errorf("after SIGKILL the order has %d outbox rows, want 3", rows)
	}
}

// serveKillChild is the child's side: a world on the SQLite file at path,
// one NOTPAY order, and its signed notify written to stdout as JSON; then
// it serves until killed.
func serveKillChild(t *testing.T, path string) {
	w := paytest.New(t, paytest.Options{SQLitePath: path, Retry: never})
	_, platform := paytest.Keys()
	ctx := context.Background()
	now := time.Now()
	o := model.Order{OutTradeNo: payment.NewOutTradeNo(), StoreID: w.Store.ID, MerchantID: w.Store.MerchantID, ProviderID: "p",
		SpMchID: paytest.SpMchID, SubMchID: paytest.SubMchID, AmountFen: 1250, State: model.OrderNotPay,
		PayerOpenID: paytest.PayerID, CreatedAt: now, TimeExpire: now.Add(10 * time.Minute)}
	if err := w.St.CreateOrder(ctx, o); err != nil {
		t.Fatal(err)
	}
	r := signedNotify(t, w, platform, o, 1)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(childNotify{URL: w.Notify.URL + "/wxpay/notify", Header: r.Header, Body: body, OrderNo: o.OutTradeNo})
	os.Stdout.Write(append(b, '\n'))
	select {} // until the parent's SIGKILL
}
