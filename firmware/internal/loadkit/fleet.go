package loadkit

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/biz"
)

// Member is one stand of a fleet: its identity, store and folder, and
// the running stand while it runs in this process (nil while it is
// stopped or hosted in another process).
type Member struct {
	Provision
	Store int
	Dir   string
	Stand *Stand
}

// Fleet is a run's stands, stores and customers on one deployment.
type Fleet struct {
	Dep     Deployment
	Dir     string // one folder per stand under it
	Log     *slog.Logger
	Members []*Member
	Stores  []Store
	Echo    Provision // registered, never paired: the raw echo's identity
	admin   *Browser
	// customers[i] pays at store i, on node i mod len(Dep.Bases).
	customers []*Browser
	// StandBroker, if set, is what the stands dial instead of Dep.Broker
	// (a proxy in front of it).
	StandBroker string
}

// Progress reports how a long step goes; Printf-like, "" ends a line.
type Progress func(format string, a ...any)

// NewFleet registers n stands (and one echo identity) on the
// deployment's console, adds a merchant with nStores stores, starts the
// stands in dir, pairs stand i with store i mod nStores through the
// pairing page and waits until each has its store.config.
func NewFleet(ctx context.Context, dep Deployment, dir string, n, nStores int, standBroker string, log *slog.Logger, progress Progress) (*Fleet, error) {
	f := &Fleet{Dep: dep, Dir: dir, Log: log, StandBroker: standBroker}
	if f.StandBroker == "" {
		f.StandBroker = dep.Broker
	}
	prov, err := dep.Console()
	if err != nil {
		return nil, err
	}
	progress("registering %d stands…", n+1)
	provs, err := RegisterStands(prov, n+1)
	if err != nil {
		return nil, err
	}
	f.Echo = provs[n]
	var storeIDs []string
	if f.admin, storeIDs, err = SetupMerchant(prov, nStores); err != nil {
		return nil, err
	}
	f.Stores = make([]Store, nStores)
	for i, p := range provs[:n] {
		m := &Member{Provision: p, Store: i % nStores, Dir: filepath.Join(dir, p.DeviceID)}
		f.Members = append(f.Members, m)
		if err := f.Start(m); err != nil {
			f.Stop()
			return nil, err
		}
		if (i+1)%50 == 0 {
			progress("started %d/%d stands", i+1, n)
		}
	}
	if err := f.pair(ctx, storeIDs, progress); err != nil {
		f.Stop()
		return nil, err
	}
	for i := range f.Stores {
		b := NewBrowser(dep.Bases[i%len(dep.Bases)])
		if err := b.WeChatLogin(fmt.Sprintf("顾客%d", i+1)); err != nil {
			f.Stop()
			return nil, err
		}
		f.customers = append(f.customers, b)
	}
	return f, nil
}

// Start runs m in this process (again, on its folder).
func (f *Fleet) Start(m *Member) error {
	s, err := StartStand(StandConfig{ID: m.DeviceID, Secret: m.Secret, Broker: f.StandBroker, Dir: m.Dir, Log: f.Log})
	if err != nil {
		return err
	}
	m.Stand = s
	return nil
}

// Stop stops every stand running in this process.
func (f *Fleet) Stop() {
	for _, m := range f.Members {
		if m.Stand != nil {
			m.Stand.Stop()
		}
	}
}

func (f *Fleet) pair(ctx context.Context, storeIDs []string, progress Progress) error {
	deadline := time.Now().Add(60*time.Second + time.Duration(len(f.Members))*100*time.Millisecond)
	for i, m := range f.Members {
		var pc mqtt.PairCode
		for !m.Stand.Setting("pair_code", &pc) {
			if err := m.Stand.Died(); err != nil {
				return err
			}
			if time.Now().After(deadline) || ctx.Err() != nil {
				return fmt.Errorf("loadkit: stand %s got no pairing code (%d paired)", m.DeviceID, i)
			}
			time.Sleep(20 * time.Millisecond) // polling the stand's journal for a fact
		}
		if err := f.admin.Pair(m.DeviceID, pc.Code, storeIDs[m.Store]); err != nil {
			return fmt.Errorf("loadkit: pair %s: %w", m.DeviceID, err)
		}
		progress("paired %d/%d stands", i+1, len(f.Members))
	}
	for _, m := range f.Members {
		var sc mqtt.StoreConfig
		for !(m.Stand.Setting("store_config", &sc) && sc.Bound) {
			if time.Now().After(deadline) || ctx.Err() != nil {
				return fmt.Errorf("loadkit: stand %s got no store.config", m.DeviceID)
			}
			time.Sleep(20 * time.Millisecond) // polling the stand's journal for a fact
		}
		cut := strings.LastIndex(sc.QRURL, "/s/")
		if cut < 0 {
			return fmt.Errorf("loadkit: stand %s: store QR URL %q is not a /s/ pay page", m.DeviceID, sc.QRURL)
		}
		f.Stores[m.Store] = Store{ID: storeIDs[m.Store], Token: sc.QRURL[cut+3:]}
	}
	return nil
}

// ByStore groups views (by member, in Members order) per store.
func (f *Fleet) ByStore(views []*View) [][]*View {
	out := make([][]*View, len(f.Stores))
	for i, m := range f.Members {
		out[m.Store] = append(out[m.Store], views[i])
	}
	return out
}

// Views stops every stand and reads back what each holds.
func (f *Fleet) Views() ([]*View, error) {
	f.Stop()
	out := make([]*View, len(f.Members))
	for i, m := range f.Members {
		var acked map[string]time.Time
		if m.Stand != nil {
			acked = m.Stand.Acked()
		}
		v, err := ReadView(m.Dir, acked)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// doneOrders reads the order numbers of the payments a stand's journal
// holds as done, from the file (the stand may run in another process).
func doneOrders(dir string) (map[string]bool, error) {
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "journal.db")+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.Query(`SELECT json_extract(body, '$.body.order_no') FROM events WHERE kind = ? AND state = 'done'`, string(mqtt.KindPaymentPaid))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var no sql.NullString
		if err := rows.Scan(&no); err != nil {
			return nil, err
		}
		out[no.String] = true
	}
	return out, rows.Err()
}

// Missing counts the deliveries of pays (order × stand of its store) not
// done yet in the stands' journals.
func (f *Fleet) Missing(pays []Payment) (int, error) {
	byStore := make([][]string, len(f.Stores))
	for _, p := range pays {
		byStore[p.Store] = append(byStore[p.Store], p.Order)
	}
	missing := 0
	for _, m := range f.Members {
		if len(byStore[m.Store]) == 0 {
			continue
		}
		done, err := doneOrders(m.Dir)
		if err != nil {
			return 0, err
		}
		for _, no := range byStore[m.Store] {
			if !done[no] {
				missing++
			}
		}
	}
	return missing, nil
}

// Drain waits for the facts: every payment done in the journal of every
// stand of its store. It ends when that is so, when nothing moved for
// stall (what is missing then counts as lost in Check), or at limit, and
// returns how many deliveries are still missing.
func (f *Fleet) Drain(ctx context.Context, pays []Payment, stall time.Duration, limit time.Time, progress Progress) int {
	// Each look opens every journal: with many stands it is itself load.
	every := max(100*time.Millisecond, time.Duration(len(f.Members))*5*time.Millisecond)
	lastMissing, lastMove := -1, time.Now()
	for {
		missing, err := f.Missing(pays)
		if err != nil {
			progress("draining: %v", err)
			missing = lastMissing
		}
		if missing != lastMissing {
			lastMissing, lastMove = missing, time.Now()
		}
		progress("draining: %d deliveries not done yet", missing)
		if missing == 0 || ctx.Err() != nil || time.Since(lastMove) > stall || time.Now().After(limit) {
			return missing
		}
		select {
		case <-ctx.Done():
		case <-time.After(every): // polling the journals for a fact
		}
	}
}

// Payer pays through the fleet's customers, one store after the other,
// with an amount unique within its store (so each announcement names its
// order) for the whole life of the fleet.
type Payer struct {
	f        *Fleet
	mu       sync.Mutex
	perStore []int64
	next     int
	// Pays are the payments the customers saw succeed.
	Pays []Payment
	// Failed are the payment flows that failed, with the order number
	// when the pay sheet had been shown (the outcome is then unknown to
	// the customer: the confirm may have reached WeChat).
	Failed []Failure
}

// Failure is one failed payment flow.
type Failure struct {
	Order string // "" before the pay sheet
	Store int
	Fen   int64
	At    time.Time
	Err   error
}

// NewPayer is a payer for the fleet; one per fleet keeps amounts unique.
func (f *Fleet) NewPayer() *Payer {
	return &Payer{f: f, perStore: make([]int64, len(f.Stores))}
}

// Run makes n payments at rate per second (in flight at most 64 at a
// time), or fewer if ctx ends first.
func (p *Payer) Run(ctx context.Context, rate float64, n int, progress Progress) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	start := time.Now()
	for k := 0; k < n && ctx.Err() == nil; k++ {
		if k > 0 {
			select {
			case <-tick.C:
			case <-ctx.Done():
				continue
			}
		}
		p.mu.Lock()
		si := p.next % len(p.f.Stores)
		p.next++
		p.perStore[si]++
		fen := 100 + p.perStore[si]
		p.mu.Unlock()
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			order, at, err := p.f.customers[si].Pay(p.f.Stores[si], biz.FormatFen(fen))
			p.mu.Lock()
			defer p.mu.Unlock()
			if err != nil {
				p.Failed = append(p.Failed, Failure{Order: order, Store: si, Fen: fen, At: at, Err: err})
				return
			}
			p.Pays = append(p.Pays, Payment{Order: order, Store: si, Fen: fen, At: at})
		}()
		if k%max(1, int(rate)) == 0 {
			p.mu.Lock()
			progress("%5.1fs paid %d/%d, %d failed", time.Since(start).Seconds(), len(p.Pays), n, len(p.Failed))
			p.mu.Unlock()
		}
	}
	wg.Wait()
}

// Counts returns how many payments succeeded and failed so far.
func (p *Payer) Counts() (paid, failed int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.Pays), len(p.Failed)
}
