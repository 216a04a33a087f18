package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/brokerctl/mosquittotest"
	"github.com/qrstand/qrstand/cloud/internal/database"
	"github.com/qrstand/qrstand/cloud/internal/dbtest"
	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/server"
	"github.com/qrstand/qrstand/cloud/internal/storage"
	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/standclient"
)

// node is one qrstand-cloud child process.
type node struct {
	id   string
	cmd  *exec.Cmd
	http string
	log  *bytes.Buffer
	mu   *sync.Mutex
}

type lockedBuffer struct {
	mu  *sync.Mutex
	buf *bytes.Buffer
}

func (w lockedBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

// buildCloud builds this command once per test.
func buildCloud(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "qrstand-cloud")
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command builds the cloud under test: %v", err)
	}
	if out, err := exec.Command(gobin, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// clusterEnv is the environment every node of one deployment shares.
func clusterEnv(b *mosquittotest.Broker, dsn, cloudPW string) []string {
	return append(os.Environ(),
		"QRSTAND_DATABASE=postgres", "QRSTAND_POSTGRES_DSN="+dsn,
		"QRSTAND_SECRET_KEY="+base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)),
		"QRSTAND_SANDBOX=1",
		"QRSTAND_BROKER_KIND=mosquitto", "QRSTAND_BROKER_URL="+b.URL, "QRSTAND_BROKER_PASSWORD="+cloudPW,
		"QRSTAND_BROKER_ADMIN_USER="+b.AdminUser, "QRSTAND_BROKER_ADMIN_PASSWORD="+b.AdminPassword,
	)
}

func startNode(t testing.TB, bin string, env []string, id string) *node {
	t.Helper()
	n := &node{id: id, http: freeAddr(t), log: &bytes.Buffer{}, mu: &sync.Mutex{}}
	n.cmd = exec.Command(bin, "-log-level", "info")
	n.cmd.Env = append(env, "QRSTAND_NODE_ID="+id, "QRSTAND_HTTP_ADDR="+n.http, "QRSTAND_DATA_DIR="+t.TempDir(),
		"QRSTAND_METRICS_ADDR=127.0.0.1:0") // several nodes on one machine
	n.cmd.Stderr = lockedBuffer{n.mu, n.log}
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if n.cmd.ProcessState == nil {
			n.cmd.Process.Signal(syscall.SIGTERM)
			n.cmd.Wait()
		}
		if t.Failed() {
			t.Logf("node %s log (tail):\n%s", id, tail(n.logs(), 4000))
		}
	})
	return n
}

func (n *node) logs() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.log.String()
}

func tail(s string, k int) string {
	if len(s) > k {
		return s[len(s)-k:]
	}
	return s
}

// ready waits until the node answers /healthz and its outbox client has
// connected to the broker (it logs "nodelink: connected").
func (n *node) ready(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + n.http + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 && strings.Contains(n.logs(), "nodelink: connected") {
				return
			}
		}
		if n.cmd.ProcessState != nil || time.Now().After(deadline) {
			t.Fatalf("node %s not ready: %v\n%s", n.id, err, tail(n.logs(), 3000))
		}
		time.Sleep(50 * time.Millisecond) // polling a child process for a fact
	}
}

// journal is a stand's event journal as the firmware keeps it: the first
// delivery of an event id is announced, a repeat is acked and counted.
type journal struct {
	mu        sync.Mutex
	announced map[string]int // order no → times announced
	byID      map[string]bool
	dups      int
	changed   chan struct{}
}

func (j *journal) handle(_ context.Context, m mqtt.Message) error {
	p := m.Body.(*mqtt.PaymentPaid)
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.byID[m.ID] {
		j.dups++
		return nil
	}
	j.byID[m.ID] = true
	j.announced[p.OrderNo]++
	select {
	case j.changed <- struct{}{}:
	default:
	}
	return nil
}

func (j *journal) count() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.announced)
}

// cluster is one deployment under test: a private Mosquitto, a fresh
// PostgreSQL database, the built binary, a store with two provisioned and
// paired stands running mqtt/standclient with a journal each.
type cluster struct {
	b        *mosquittotest.Broker
	dsn, bin string
	env      []string
	st       *storage.Storage
	store    model.Store
	m        model.Merchant
	p        model.Provider
	journals map[string]*journal
	orders   []string
}

func newCluster(t testing.TB) *cluster {
	t.Helper()
	c := &cluster{b: mosquittotest.Start(t), dsn: dbtest.PostgresDSN(t), bin: buildCloud(t)}
	c.env = clusterEnv(c.b, c.dsn, mqtt.NewSecret())
	ctx := context.Background()
	db, err := database.Open(ctx, database.Postgres, c.dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := database.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	c.st = storage.New(db, database.Postgres, dbtest.Box(t)).ForNode("test-payer")
	now := time.Now()
	c.p, _ = c.st.CreateProvider(ctx, "P", server.SandboxSpMchID, "wx", model.ProviderSecrets{}, now)
	c.m, _, _, err = c.st.CreateMerchant(ctx, c.p.ID, storage.MerchantInput{Name: "面馆", SubMchID: "1900000109", AdminName: "王"}, time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	c.store, _, _, _ = c.st.CreateStore(ctx, c.m.ID, storage.StoreInput{Name: "一号店"}, time.Hour, now)
	return c
}

// startStands provisions two stands the way an operator does (`stands
// add`: registered in the database and in Mosquitto's dynamic security),
// pairs them with the store and runs them until the test ends.
func (c *cluster) startStands(t testing.TB) {
	t.Helper()
	out := t.TempDir()
	prov := exec.Command(c.bin, "stands", "add", "-n", "2", "-broker", c.b.URL, "-out", out)
	prov.Env = append(c.env, "QRSTAND_NODE_ID=provisioner", "QRSTAND_DATA_DIR="+t.TempDir())
	if o, err := prov.CombinedOutput(); err != nil {
		t.Fatalf("stands add: %v\n%s", err, o)
	}
	files, _ := filepath.Glob(filepath.Join(out, "*.json"))
	if len(files) != 2 {
		t.Fatalf("%d provisioning files", len(files))
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	now := time.Now()
	c.journals = map[string]*journal{}
	for _, f := range files {
		var pv server.Provision
		raw, _ := os.ReadFile(f)
		if err := json.Unmarshal(raw, &pv); err != nil {
			t.Fatal(err)
		}
		if err := c.st.SetPairCode(ctx, pv.DeviceID, "11112222", now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, err := c.st.PairStand(ctx, pv.DeviceID, "11112222", c.store.ID, now); err != nil {
			t.Fatal(err)
		}
		j := &journal{announced: map[string]int{}, byID: map[string]bool{}, changed: make(chan struct{}, 1)}
		c.journals[pv.DeviceID] = j
		sc, err := standclient.New(standclient.Config{Broker: pv.Broker, DeviceID: pv.DeviceID, Secret: pv.Secret, MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		sc.Handle(mqtt.KindPaymentPaid, j.handle)
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc.Run(ctx)
		}()
	}
}

// pay commits payment i as a notify handler does: the order turns SUCCESS
// and its outbox rows (one per stand) are written in the same transaction.
func (c *cluster) pay(t testing.TB, i int) {
	ctx := context.Background()
	no := fmt.Sprintf("QSCALE%08d", i)
	t0 := time.Now()
	if err := c.st.CreateOrder(ctx, model.Order{OutTradeNo: no, StoreID: c.store.ID, MerchantID: c.m.ID, ProviderID: c.p.ID, SpMchID: server.SandboxSpMchID,
		SubMchID: "1900000109", AmountFen: int64(100 + i), CreatedAt: t0, TimeExpire: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, changed, err := c.st.MarkPaid(ctx, storage.Paid{OutTradeNo: no, TransactionID: "4200" + no, PaidAt: t0, Via: "notify"}, t0,
		func(o model.Order) (storage.Envelopes, error) {
			return storage.Envelopes{Stand: &mqtt.PaymentPaid{OrderNo: o.OutTradeNo, Channel: mqtt.ChannelWeChat, AmountFen: o.AmountFen, PaidAt: o.PaidAt, StoreID: o.StoreID}}, nil
		}); err != nil || !changed {
		t.Fatalf("MarkPaid %s: %v %v", no, changed, err)
	}
	c.orders = append(c.orders, no)
}

// waitDelivered waits until every outbox row is delivered.
func (c *cluster) waitDelivered(t testing.TB, deadline time.Time) {
	t.Helper()
	want := 2 * len(c.orders)
	for {
		counts, err := c.st.OutboxCounts(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if counts[model.OutboxDelivered] == want && counts[model.OutboxPending] == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox %v, want %d delivered", counts, want)
		}
		time.Sleep(20 * time.Millisecond) // polling the database for a fact
	}
}

// Three cloud nodes on PostgreSQL behind Mosquitto (dynamic security,
// started from the documented config) and two stands; payments flow
// continuously and one node is killed with SIGKILL mid-stream. Every
// payment is announced exactly once on each stand, none is lost, and
// duplicate dispatches (rows two nodes sent, acks the dead node had taken)
// are absorbed by the stands' journals and counted.
func TestThreeNodesSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Mosquitto, a PostgreSQL database and three cloud processes")
	}
	c := newCluster(t)
	// Three nodes start at once.
	var nodes []*node
	for i := range 3 {
		nodes = append(nodes, startNode(t, c.bin, c.env, fmt.Sprintf("node-%d", i+1)))
	}
	for _, n := range nodes {
		n.ready(t)
	}
	c.startStands(t)

	const total, killAt = 120, 40
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for i := range total {
		<-tick.C
		c.pay(t, i)
		if i == killAt {
			// Mid-stream, with rows claimed and acks in flight.
			if err := nodes[0].cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			nodes[0].cmd.Wait()
			t.Logf("killed %s after payment %d", nodes[0].id, i)
		}
	}

	// Every payment reaches both stands ...
	deadline := time.After(90 * time.Second)
	for id, j := range c.journals {
		for j.count() < total {
			select {
			case <-j.changed:
			case <-deadline:
				t.Fatalf("stand %s announced %d of %d payments", id, j.count(), total)
			}
		}
	}
	// ... each once, whatever was dispatched twice.
	dups := 0
	for id, j := range c.journals {
		j.mu.Lock()
		for _, no := range c.orders {
			if n := j.announced[no]; n != 1 {
				t.Errorf("stand %s announced %s %d times", id, no, n)
			}
		}
		dups += j.dups
		j.mu.Unlock()
	}
	// Every row ends delivered: its ack reached a live node.
	c.waitDelivered(t, time.Now().Add(60*time.Second))
	claimers := map[string]int{}
	for _, no := range c.orders {
		rows, _ := c.st.OutboxByRef(context.Background(), no)
		for _, r := range rows {
			claimers[r.ClaimedBy]++
		}
	}
	t.Logf("%d payments × 2 stands announced once each; %d duplicate dispatches absorbed by the stands; rows last claimed by %v", total, dups, claimers)
}

// BenchmarkClusterDispatch: how fast 1 or 2 cloud nodes (child processes,
// PostgreSQL, Mosquitto) drain a backlog of b.N payments to two online
// stands, from the moment every node is ready to the last row delivered
// (acked). Reports payments/s and row deliveries/s. Run with a fixed
// count, e.g. -benchtime 2000x.
func BenchmarkClusterDispatch(b *testing.B) {
	for _, n := range []int{1, 2} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			c := newCluster(b)
			c.startStands(b)
			for i := range b.N {
				c.pay(b, i)
			}
			var nodes []*node
			for i := range n {
				nodes = append(nodes, startNode(b, c.bin, c.env, fmt.Sprintf("node-%d", i+1)))
			}
			for _, nd := range nodes {
				nd.ready(b)
			}
			b.ResetTimer()
			counts, _ := c.st.OutboxCounts(context.Background())
			before := counts[model.OutboxDelivered]
			start := time.Now()
			c.waitDelivered(b, time.Now().Add(5*time.Minute))
			elapsed := time.Since(start)
			b.StopTimer()
			rows := 2*b.N - before
			b.ReportMetric(float64(rows)/2/elapsed.Seconds(), "payments/s")
			b.ReportMetric(float64(rows)/elapsed.Seconds(), "deliveries/s")
			dups := 0
			for _, j := range c.journals {
				dups += j.dups
			}
			b.ReportMetric(float64(dups), "duplicates")
		})
	}
}
