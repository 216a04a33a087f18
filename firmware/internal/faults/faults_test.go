package faults

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/qrstand/qrstand/firmware/internal/loadkit"
	"github.com/qrstand/qrstand/firmware/internal/stand"
	"github.com/qrstand/qrstand/mqtt"
)

var (
	full    = flag.Bool("faults.full", false, "the whole matrix over ≥ 1,000 payments (make faults); without it the small version make test runs")
	rowsRun = flag.String("faults.rows", "", "only the rows whose name matches this regular expression")
	stormN  = flag.Int("faults.storm", 500, "with -faults.full: stands in the large reconnect storm (0: none)")
)

func TestMain(m *testing.M) {
	if spec := os.Getenv(hostEnv); spec != "" {
		os.Exit(host(spec))
	}
	os.Exit(m.Run())
}

// scale is how much load a run puts through each row.
type scale struct {
	stands, stores int
	rate           float64       // payments per second while a row runs
	payFor         time.Duration // how long each row pays
}

var (
	small = scale{stands: 4, stores: 2, rate: 4, payFor: 4 * time.Second}
	large = scale{stands: 12, stores: 4, rate: 10, payFor: 12 * time.Second}
)

// env is one topology under test with its fleet.
type env struct {
	t      *testing.T
	ctx    context.Context
	sc     scale
	nodes  []*loadkit.Cloud // the dev cloud, or the scale-out nodes
	mq     *mosquitto       // scale-out only
	px     *proxy           // between the stands and the broker
	fleet  *loadkit.Fleet
	payer  *loadkit.Payer
	states func(orders []string) (map[string]orderState, error) // by out_trade_no, from the cloud's database
	db     *sql.DB                                              // the cloud's database
	ph     string                                               // its placeholder style: "?" or "$"
}

// row is one fault.
type row struct {
	name string
	// inSmall: also in the small version (make test).
	inSmall bool
	// simDies: the fault takes the WeChat Pay simulator down with the
	// cloud process; an order confirmed on its pay sheet whose notify had
	// not yet been committed then never reaches the cloud (real WeChat
	// would retry the notify; this one is gone). Such orders are counted
	// apart ("unpaid†"), never as delivered.
	simDies bool
	// stall is how long the drain waits without progress (default 150 s:
	// longer than the outbox's longest resend backoff, 2 min, so that
	// what is missing then is lost, not late).
	stall time.Duration
	// fault runs while payments flow for payFor; it returns a line that
	// shows the fault happened.
	fault func(e *env) (string, error)
	// verify, if set, judges the row after its deliveries (and the final
	// check): that the fault did what it should have.
	verify func(e *env, r *result) error
}

// result is a row's outcome.
type result struct {
	name   string
	pays   []loadkit.Payment // what the cloud has paid: each must be delivered once
	unpaid int               // confirmed, never paid in the cloud (simDies rows only)
	failed int               // payment flows that failed (the customer saw an error)
	proof  string
	err    error
	tally  loadkit.Tally
	via    map[string]int // how the cloud learned of the row's paid orders: notify or query
	verify func(e *env, r *result) error
}

func TestFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("starts qrstand-cloud and stands; skipped under -short")
	}
	sc := small
	if *full {
		sc = large
	}
	var results []*result
	t.Run("embedded", func(t *testing.T) {
		e := embedded(t, sc)
		results = append(results, e.matrix(embeddedRows())...)
	})
	if *full {
		t.Run("scale-out", func(t *testing.T) {
			e, dep := scaleOut(t, sc)
			e.setup(dep)
			results = append(results, e.matrix(scaleOutRows())...)
		})
	}
	if *full && *stormN > 0 {
		t.Run("storm", func(t *testing.T) {
			// Two stands a store, a few payments a second: the storm
			// is the point, every stand must get its sync and backlog.
			e := embedded(t, scale{stands: *stormN, stores: max(1, *stormN/2), rate: 10, payFor: 10 * time.Second})
			r := stormRow()
			r.name = fmt.Sprintf("reconnect storm, %d stands (embedded)", *stormN)
			results = append(results, e.matrix([]row{r})...)
		})
	}
	printTable(os.Stdout, results, sc)
	var paid int64
	for _, r := range results {
		paid += r.tally.Paid
		switch {
		case r.err != nil:
			t.Errorf("%s: %v", r.name, r.err)
		case r.tally.Lost > 0 || r.tally.Duplicated > 0:
			t.Errorf("%s: %d lost, %d duplicated (unlabelled repeats) of %d paid", r.name, r.tally.Lost, r.tally.Duplicated, r.tally.Paid)
		}
	}
	if *full && paid < 1000 && !t.Failed() && len(results) > 0 {
		t.Errorf("the full matrix paid %d, want at least 1,000", paid)
	}
}

// matrix runs the rows one after the other against e, then stops the
// stands, reads back what each holds and judges every row's payments.
func (e *env) matrix(rows []row) []*result {
	var out []*result
	for _, r := range rows {
		if !*full && !r.inSmall {
			continue
		}
		if *rowsRun != "" && !regexp.MustCompile(*rowsRun).MatchString(r.name) {
			continue
		}
		out = append(out, e.run(r))
	}
	views, err := e.fleet.Views()
	if err != nil {
		e.t.Fatal(err)
	}
	byStore := e.fleet.ByStore(views)
	for _, res := range out {
		t, err := loadkit.Check(res.pays, byStore)
		if err != nil {
			res.err = errors.Join(res.err, err)
			continue
		}
		res.tally = t
		if res.tally.Lost+res.tally.Duplicated > 0 {
			n := 0
			for _, p := range res.pays {
				if t, _ := loadkit.Check([]loadkit.Payment{p}, byStore); (t.Lost > 0 || t.Duplicated > 0) && n < 5 {
					e.t.Logf("%s: %s; cloud outbox: %s", res.name, loadkit.Explain(p, byStore[p.Store]), outboxRows(e.db, e.ph, p.Order))
					n++
				}
			}
		}
		if res.verify != nil && res.err == nil {
			res.err = res.verify(e, res)
		}
	}
	return out
}

// run makes the row's payments while its fault happens, then waits for
// their deliveries.
func (e *env) run(r row) *result {
	res := &result{name: r.name, verify: r.verify}
	p0, f0 := e.payer.Counts()
	faultDone := make(chan struct{})
	go func() {
		defer close(faultDone)
		res.proof, res.err = r.fault(e)
	}()
	e.payer.Run(e.ctx, e.sc.rate, int(e.sc.rate*e.sc.payFor.Seconds()), quiet)
	<-faultDone
	// A fault that went wrong is reported; its payments are judged all
	// the same.
	faultErr := res.err
	defer func() { res.err = errors.Join(faultErr, res.err) }()
	res.err = nil
	pays := append([]loadkit.Payment(nil), e.payer.Pays[p0:]...)
	fails := append([]loadkit.Failure(nil), e.payer.Failed[f0:]...)
	res.failed = len(fails)
	stall := r.stall
	if stall == 0 {
		stall = 150 * time.Second
	}
	e.fleet.Drain(e.ctx, pays, stall, time.Now().Add(5*time.Minute), quiet)
	// What the cloud has paid decides what must be delivered: a flow
	// that failed after the pay sheet may still have been paid (then it
	// must be delivered once too).
	var orders []string
	for _, p := range pays {
		orders = append(orders, p.Order)
	}
	for _, f := range fails {
		if f.Order != "" {
			orders = append(orders, f.Order)
		}
	}
	states, err := e.states(orders)
	if err != nil {
		res.err = err
		return res
	}
	res.via = map[string]int{}
	for _, p := range pays {
		if states[p.Order].state != "SUCCESS" && r.simDies {
			res.unpaid++
			continue
		}
		res.pays = append(res.pays, p)
		res.via[states[p.Order].via]++
	}
	for _, f := range fails {
		if f.Order != "" && states[f.Order].state == "SUCCESS" {
			res.pays = append(res.pays, loadkit.Payment{Order: f.Order, Store: f.Store, Fen: f.Fen, At: f.At})
			res.via[states[f.Order].via]++
		}
	}
	missing := e.fleet.Drain(e.ctx, res.pays, stall, time.Now().Add(5*time.Minute), quiet)
	for _, m := range e.fleet.Members {
		if m.Stand == nil {
			res.err = errors.Join(res.err, fmt.Errorf("stand %s is not running", m.DeviceID))
		} else if err := m.Stand.Died(); err != nil {
			res.err = errors.Join(res.err, err)
		}
	}
	e.t.Logf("%s: %d paid in the cloud, %d deliveries missing after the drain; %s", r.name, len(res.pays), missing, res.proof)
	if missing > 0 {
		for _, m := range e.fleet.Members {
			e.t.Logf("  stand %s (store %d): connected %v", m.DeviceID, m.Store, m.Stand != nil && m.Stand.Connected())
		}
	}
	return res
}

func quiet(string, ...any) {}

// wait lets part of the row's paying time pass: the fault's schedule.
func (e *env) wait(frac float64) {
	select {
	case <-e.ctx.Done():
	case <-time.After(time.Duration(frac * float64(e.sc.payFor))):
	}
}

// restart stops (SIGTERM, or SIGKILL) node i and starts it again on the
// same ports and data.
func (e *env) restart(i int, kill bool) (string, error) {
	n := e.nodes[i]
	before := n.Pid()
	if kill {
		n.Kill()
	} else {
		n.Stop()
	}
	if err := n.Start(e.ctx); err != nil {
		return "", err
	}
	how := "SIGTERM"
	if kill {
		how = "SIGKILL"
	}
	return fmt.Sprintf("%s pid %d, back as %d", how, before, n.Pid()), nil
}

// standKill moves the stands of store 0 into a child process that kills
// itself with SIGKILL at the second passage of point p, then starts them
// again here on their folders (a reboot).
func (e *env) standKill(p stand.Point) (string, error) {
	sp := hostSpec{Broker: e.fleet.StandBroker, DieAt: p, DieAfter: 2}
	var moved []*loadkit.Member
	for _, m := range e.fleet.Members {
		if m.Store == 0 {
			m.Stand.Stop()
			m.Stand = nil
			moved = append(moved, m)
			sp.Stands = append(sp.Stands, m.Provision)
			sp.Dirs = append(sp.Dirs, m.Dir)
		}
	}
	h, err := startHost(sp)
	if err != nil {
		return "", err
	}
	kerr := h.killed(e.sc.payFor + time.Minute)
	if kerr != nil {
		h.stop()
	}
	for _, m := range moved {
		if err := e.fleet.Start(m); err != nil {
			return "", err
		}
	}
	if kerr != nil {
		return "", kerr
	}
	return fmt.Sprintf("host of %d stands SIGKILLed at %s", len(moved), p), nil
}

func embeddedRows() []row {
	return []row{
		{name: "cloud restart (its embedded broker with it)", inSmall: true, simDies: true, fault: func(e *env) (string, error) {
			e.wait(0.3)
			return e.restart(0, false)
		}},
		{name: "cloud SIGKILL", inSmall: true, simDies: true, fault: func(e *env) (string, error) {
			e.wait(0.3)
			return e.restart(0, true)
		}},
		{name: "stand SIGKILL between journal and announcement", inSmall: true, fault: func(e *env) (string, error) {
			return e.standKill(stand.AfterJournal)
		}},
		{name: "stand SIGKILL between print and done", inSmall: true, fault: func(e *env) (string, error) {
			return e.standKill(stand.AfterPrint)
		}, verify: func(_ *env, r *result) error {
			if r.tally.Reprinted == 0 {
				return fmt.Errorf("no receipt labelled %s: the crash did not land between print and done", loadkit.ReprintLabel)
			}
			return nil
		}},
		{name: "TCP proxy cuts every stand connection", inSmall: true, fault: func(e *env) (string, error) {
			cut := 0
			for range 3 {
				e.wait(0.25)
				cut += e.px.Cut()
			}
			if cut == 0 {
				return "", fmt.Errorf("the proxy had no connection to cut")
			}
			return fmt.Sprintf("%d connections cut in 3 rounds", cut), nil
		}},
		{name: "duplicate notifies (+2 each, first one ×2 concurrent)", inSmall: true, fault: func(e *env) (string, error) {
			return e.simFaults(`{"duplicate_notifies": 2, "concurrent_notifies": 2}`)
		}},
		{name: "suppressed notifies (the reconciler finds them)", fault: func(e *env) (string, error) {
			return e.simFaults(`{"suppress_notify": true}`)
		}, verify: func(_ *env, r *result) error {
			// The last confirm may land after the faults were cleared;
			// every other order must have been found by a query.
			if r.via["query"] < len(r.pays)-1 {
				return fmt.Errorf("paid via %v: the notifies were not suppressed", r.via)
			}
			return nil
		}},
		{name: "stand offline longer than the announce window", fault: func(e *env) (string, error) {
			return e.offline()
		}, verify: func(_ *env, r *result) error {
			if r.tally.CaughtUp == 0 {
				return fmt.Errorf("no delivery reached a stand after the announce window")
			}
			return nil
		}},
		stormRow(),
	}
}

// simFaults sets the simulator's faults on every node for the row's
// paying time, then clears them.
func (e *env) simFaults(faults string) (string, error) {
	for _, n := range e.nodes {
		if err := loadkit.SetSimFaults(n.Base, faults); err != nil {
			return "", err
		}
	}
	e.wait(1)
	// The last payment's confirm may still be on its way: clearing after
	// payFor can leave it well-behaved, which only weakens the row.
	for _, n := range e.nodes {
		if err := loadkit.SetSimFaults(n.Base, "{}"); err != nil {
			return "", err
		}
	}
	return "simulator faults " + faults, nil
}

// offline powers the last stand off, pays, and powers it on once the
// row's first payments are older than the announce window.
func (e *env) offline() (string, error) {
	m := e.fleet.Members[len(e.fleet.Members)-1]
	m.Stand.Stop()
	m.Stand = nil
	off := time.Now()
	e.wait(1)
	select {
	case <-e.ctx.Done():
	case <-time.After(time.Until(off.Add(mqtt.DefaultAnnounceWindow + 10*time.Second))):
	}
	if err := e.fleet.Start(m); err != nil {
		return "", err
	}
	return fmt.Sprintf("stand %s off for %s (announce window %s)", m.DeviceID, time.Since(off).Round(time.Second), mqtt.DefaultAnnounceWindow), nil
}

// stormRow cuts every stand off (the proxy refuses them), lets payments
// pile up, restarts the cloud and lets every stand back at once: each
// must get its sync (and, checked per order, its pending events).
func stormRow() row {
	return row{name: "reconnect storm (every stand at once after a cloud restart)", inSmall: true, simDies: true, fault: func(e *env) (string, error) {
		e.wait(0.2)
		e.px.Block()
		e.wait(0.4)
		var syncs []int
		for _, m := range e.fleet.Members {
			syncs = append(syncs, m.Stand.Syncs())
		}
		proof, err := e.restart(0, false)
		if err != nil {
			return "", err
		}
		e.px.Unblock()
		back := time.Now()
		// Wait for the fact: a new sync on every stand (the cloud's
		// answer to its hello after the reconnect).
		deadline := back.Add(3 * time.Minute)
		for {
			late, connected := 0, 0
			var one string
			for i, m := range e.fleet.Members {
				if m.Stand.Syncs() <= syncs[i] {
					late++
					one = m.DeviceID
					if m.Stand.Connected() {
						connected++
					}
				}
			}
			if late == 0 {
				break
			}
			if time.Now().After(deadline) || e.ctx.Err() != nil {
				return "", fmt.Errorf("%d stands (e.g. %s; %d of them connected to the broker) got no sync within 3 min of the storm", late, one, connected)
			}
			time.Sleep(50 * time.Millisecond) // polling the stands' counters for a fact
		}
		return fmt.Sprintf("stands blocked, cloud %s, all %d let back at once: each had its sync %.1f s later", proof, len(syncs), time.Since(back).Seconds()), nil
	}}
}

// embedded is qrstand-cloud -dev (SQLite, embedded broker) with the
// stands behind the proxy.
func embedded(t *testing.T, sc scale) *env {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	dir := t.TempDir()
	bin, err := loadkit.CloudBinary(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := loadkit.StartDev(ctx, bin, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cl.Stop()
		if t.Failed() {
			t.Logf("cloud log (tail):\n%s", cl.LogTail())
		}
	})
	e := &env{t: t, ctx: ctx, sc: sc, nodes: []*loadkit.Cloud{cl}}
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(cl.Data, "cloud.db")+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e.states = func(orders []string) (map[string]orderState, error) { return orderStates(db, "?", orders) }
	e.db, e.ph = db, "?"
	user, pw, err := cl.DevLogin()
	if err != nil {
		t.Fatal(err)
	}
	e.setup(loadkit.Deployment{Bases: []string{cl.Base}, Broker: cl.Broker, User: user, Password: pw})
	return e
}

// setup puts the proxy in front of dep's broker and starts the fleet
// behind it.
func (e *env) setup(dep loadkit.Deployment) {
	px, err := newProxy(strings.TrimPrefix(dep.Broker, "tcp://"))
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(px.Close)
	e.px = px
	f, err := loadkit.NewFleet(e.ctx, dep, filepath.Join(e.t.TempDir(), "stands"), e.sc.stands, e.sc.stores, px.URL(), nil, quiet)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(f.Stop)
	e.fleet, e.payer = f, f.NewPayer()
}

// orderState is an order as the cloud's database has it.
type orderState struct {
	state string // NOTPAY, SUCCESS, CLOSED…
	via   string // what paid it: notify or query
}

// orderStates reads the orders' states from the cloud's database (ph is
// the placeholder style: "?" or "$").
func orderStates(db *sql.DB, ph string, orders []string) (map[string]orderState, error) {
	out := map[string]orderState{}
	q := "SELECT state, paid_via FROM orders WHERE out_trade_no = ?"
	if ph == "$" {
		q = "SELECT state, paid_via FROM orders WHERE out_trade_no = $1"
	}
	for _, o := range orders {
		var s orderState
		if err := db.QueryRow(q, o).Scan(&s.state, &s.via); err != nil && err != sql.ErrNoRows {
			return nil, fmt.Errorf("faults: order %s: %w", o, err)
		}
		out[o] = s
	}
	return out, nil
}

func printTable(w io.Writer, results []*result, sc scale) {
	fmt.Fprintf(w, "\nfault matrix: %d stands over %d stores, %.0f payments/s for %s per row\n\n", sc.stands, sc.stores, sc.rate, sc.payFor)
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', tabwriter.Debug)
	fmt.Fprintln(tw, "fault\tpaid\tannounced once\tprinted once\treprinted (补打)\tlost\tduplicated\tunpaid†\tfailed to pay\tthe fault")
	var tot loadkit.Tally
	for _, r := range results {
		t := r.tally
		note := r.proof
		if n := r.via["query"]; n > 0 {
			note += fmt.Sprintf("; %d paid by the reconciler's query", n)
		}
		if r.err != nil {
			note = "ERROR: " + r.err.Error()
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n", r.name, t.Paid, t.Announced, t.Printed, t.Reprinted, t.Lost, t.Duplicated, r.unpaid, r.failed, note)
		tot.Paid += t.Paid
		tot.Lost += t.Lost
		tot.Duplicated += t.Duplicated
	}
	tw.Flush()
	fmt.Fprintf(w, "\ntotal: %d paid, %d lost, %d duplicated\n", tot.Paid, tot.Lost, tot.Duplicated)
	fmt.Fprintln(w, "† confirmed on the pay sheet of the WeChat Pay simulator that runs inside the killed cloud process, which died before its notify was committed (real WeChat retries; this one is gone): never paid in the cloud, so nothing to deliver.")
}

// outboxRows describes the cloud's outbox rows of an order (ref), for a
// lost order: did the cloud think it delivered it?
func outboxRows(db *sql.DB, ph, order string) string {
	if db == nil {
		return "?"
	}
	q := "SELECT COALESCE(stand_id, ''), state, attempts, COALESCE(delivered_at, ''), last_error FROM outbox WHERE ref = ? AND kind = 'stand'"
	if ph == "$" {
		q = strings.Replace(q, "?", "$1", 1)
	}
	rows, err := db.Query(q, order)
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var stand, state, delivered, last string
		var attempts int
		if err := rows.Scan(&stand, &state, &attempts, &delivered, &last); err != nil {
			return err.Error()
		}
		fmt.Fprintf(&b, "[%s %s attempts=%d delivered=%s %s]", stand, state, attempts, delivered, last)
	}
	return b.String()
}
