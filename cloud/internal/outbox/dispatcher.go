package outbox

import (
	"context"
	"hash/maphash"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/nodelink"
	"github.com/qrstand/qrstand/cloud/internal/storage"
	"github.com/qrstand/qrstand/mqtt"
)

// Dispatcher delivers outbox rows. Run it once per cloud node.
type Dispatcher struct {
	cfg   Config
	st    *storage.Storage
	up    *nodelink.Queue
	acks  chan ackIn // to the ack writer (Run)
	wake  chan struct{}
	twake chan struct{} // the template loop's wake

	// A stand's rows are put on the wire by one goroutine at a time, in
	// seq order: a pass, a hello's flush and the next window after acks
	// all take the stand's stripe first.
	seed  maphash.Seed
	locks [64]sync.Mutex

	mu      sync.Mutex
	offline map[string]bool // stand id → its retained presence says offline
	skipped int64           // rows not published because their stand was offline
	// window: each stand's rows in flight (sent, not yet acked) and the
	// highest seq sent; new rows are appended above it while fewer than
	// MaxInFlight are in flight, the rest when acks make room.
	window map[string]*window
	// ready are stands due a send now (their window emptied); resync are
	// stands to answer as if they had said hello (their hello was
	// dropped, or never came within HelloGrace).
	ready, resync map[string]bool
	// awaiting: stands that came online (live presence) → when, until
	// their hello is seen (HelloGrace).
	awaiting map[string]time.Time
	// syncs are the ids of recent syncs this node sent: a stand acks them
	// like any message, and those acks are not worth counting.
	syncs     map[string]bool
	syncOrder []string
	// lastResend bounds how often one stand can reopen its delivered rows
	// (a hostile stand saying hello with last_seq 0 in a loop).
	lastResend map[string]time.Time

	ackMiss  *prometheus.CounterVec
	resent   prometheus.Counter
	resynced *prometheus.CounterVec
}

// New returns a dispatcher and routes its uplinks (acks, hellos, presence)
// from cfg.Link to it; Run starts it.
func New(cfg Config, st *storage.Storage) (*Dispatcher, error) {
	cfg.applyDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	d := &Dispatcher{cfg: cfg, st: st, acks: make(chan ackIn, maxAckBatch), wake: make(chan struct{}, 1), twake: make(chan struct{}, 1), seed: maphash.MakeSeed(),
		offline: map[string]bool{}, window: map[string]*window{}, ready: map[string]bool{}, resync: map[string]bool{},
		awaiting: map[string]time.Time{}, syncs: map[string]bool{}, lastResend: map[string]time.Time{},
		ackMiss: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "qrstand_outbox_ack_unmatched_total",
			Help: "Stand acks that matched no pending outbox row of that stand, by reason: unknown id, foreign (another stand's row), repeat (already delivered)."},
			[]string{"reason"}),
		resent: prometheus.NewCounter(prometheus.CounterOpts{Name: "qrstand_outbox_resent_total",
			Help: "Delivered stand rows sent again because the stand's hello reported a last_seq below them (a lost journal)."}),
		resynced: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "qrstand_outbox_resync_total",
			Help: "Stands sent a sync and their pending rows without answering a hello, by why: dropped (their hello was dropped by a full queue), no_hello (online without a hello within the grace)."},
			[]string{"why"}),
	}
	d.up = nodelink.NewQueue(nodelink.QueueConfig{Name: "outbox", Workers: cfg.UplinkWorkers, Len: cfg.UplinkQueue, Dropped: d.dropped})
	cfg.Link.Route(d.up, mqtt.KindAck, mqtt.KindHello, mqtt.KindPresence)
	cfg.Link.OnConnect(d.Kick)
	return d, nil
}

// Collectors are the dispatcher's metrics, for a prometheus registry.
func (d *Dispatcher) Collectors() []prometheus.Collector {
	return []prometheus.Collector{d.ackMiss, d.resent, d.resynced}
}

// Kick makes the dispatcher look for due rows now (e.g. after a payment
// committed) instead of at its next interval.
func (d *Dispatcher) Kick() {
	for _, ch := range []chan struct{}{d.wake, d.twake} {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

func (d *Dispatcher) kickStands() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Connected reports whether the node's MQTT link is up.
func (d *Dispatcher) Connected() bool { return d.cfg.Link.Connected() }

// Run delivers until ctx is done: stand rows, template rows (their own
// loop: a WeChat API that answers slowly or not at all must never delay a
// stand's payment announcement) and the uplinks routed to it, each on
// goroutines it owns and waits for.
func (d *Dispatcher) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	goRun := func(f func(context.Context)) {
		wg.Add(1)
		go func() { defer wg.Done(); f(ctx) }()
	}
	goRun(func(ctx context.Context) { d.up.Serve(ctx, d.route) })
	goRun(d.writeAcks)
	if d.cfg.Templates != nil {
		goRun(d.runTemplates)
	}
	if d.cfg.HelloGrace > 0 {
		goRun(d.runGrace)
	}
	goRun(d.runStands)
	wg.Wait()
	return nil
}

// runStands sends due stand rows every Interval, at once after a Kick.
func (d *Dispatcher) runStands(ctx context.Context) {
	t := time.NewTicker(d.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-d.wake:
		}
		if err := d.Pass(ctx); err != nil && ctx.Err() == nil {
			d.cfg.Log.Error("outbox: pass", "err", err)
		}
	}
}

// runTemplates sends due template rows every Interval (at once after a
// Kick) until ctx is done.
func (d *Dispatcher) runTemplates(ctx context.Context) {
	t := time.NewTicker(d.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-d.twake:
		}
		for ctx.Err() == nil {
			rows, err := d.st.ClaimOutboxKind(ctx, model.OutboxTemplate, d.cfg.Now(), d.cfg.Batch, d.cfg.backoff)
			if err != nil {
				if ctx.Err() == nil {
					d.cfg.Log.Error("outbox: template pass", "err", err)
				}
				break
			}
			for _, r := range rows {
				d.sendTemplate(ctx, r)
			}
			if len(rows) < d.cfg.Batch {
				break
			}
		}
	}
}

// Pass claims the stand rows due now and sends them, and answers the
// stands waiting for a sync or their next window; it returns when all of
// that is on the wire. Stands are sent to in parallel (at most Senders at
// once). Template rows are sent by their own loop (see Run).
func (d *Dispatcher) Pass(ctx context.Context) error {
	rows, err := d.st.ClaimOutboxKind(ctx, model.OutboxStand, d.cfg.Now(), d.cfg.Batch, d.cfg.backoff)
	if err != nil {
		return err
	}
	// A stand gets its rows in seq order: a row due now may be newer than
	// one still backing off, so a due row sends its stand's pending rows,
	// oldest first (the stand acks repeats as duplicates).
	// A stand whose due rows are all new (first attempts) gets them
	// appended to what it has in flight; a retry starts again from its
	// oldest pending row.
	attempts := map[string]int{}
	var stands []string
	for _, r := range rows {
		if _, ok := attempts[r.StandID]; !ok {
			stands = append(stands, r.StandID)
		}
		attempts[r.StandID] = max(attempts[r.StandID], r.Attempts)
	}
	d.mu.Lock()
	resync := d.resync
	d.resync = map[string]bool{}
	for id := range d.ready {
		if _, ok := attempts[id]; !ok {
			stands = append(stands, id)
			attempts[id] = 1
		}
	}
	clear(d.ready)
	d.mu.Unlock()

	sem := make(chan struct{}, d.cfg.Senders)
	var wg sync.WaitGroup
	var errMu sync.Mutex
	var first error
	do := func(f func() error) {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := f(); err != nil {
				errMu.Lock()
				first = err
				errMu.Unlock()
			}
		}()
	}
	for id := range resync {
		do(func() error { return d.flush(ctx, id, -1) })
	}
	for _, id := range stands {
		if resync[id] {
			continue // the flush sends its rows
		}
		do(func() error { return d.sendStand(ctx, id, attempts[id]) })
	}
	wg.Wait()
	if len(rows) == d.cfg.Batch {
		d.kickStands() // more may be due
	}
	return first
}

// lockStand serialises what is put on the wire for stand id.
func (d *Dispatcher) lockStand(id string) func() {
	m := &d.locks[maphash.String(d.seed, id)%uint64(len(d.locks))]
	m.Lock()
	return m.Unlock
}

// window is what a stand has in flight.
type window struct {
	inflight int   // rows sent and not yet acked (an estimate: a lost ack keeps it up until the retry)
	last     int64 // the highest seq sent since the last restart from the oldest
	more     bool  // rows may wait above last
}

// sendStand puts stand id's pending rows on the wire in seq order, at
// most MaxInFlight unacked: after a retry (attempts > 1) from its oldest
// pending row, otherwise appended above the highest seq already in
// flight. A stand whose presence says offline is skipped: every retry
// would queue one more copy in its broker session (thousands for a
// battery stand that is off for a day), and its hello on return flushes
// every pending row anyway. Nothing waits for the PUBACK: only the
// stand's ack marks a row delivered; until then the claim's backoff
// brings it back.
func (d *Dispatcher) sendStand(ctx context.Context, id string, attempts int) error {
	if d.heldBack(id) {
		return nil
	}
	unlock := d.lockStand(id)
	defer unlock()
	d.mu.Lock()
	w := d.window[id]
	if w == nil || attempts > 1 {
		w = &window{}
		d.window[id] = w
	}
	after, room := w.last, d.cfg.MaxInFlight-w.inflight
	if room <= 0 {
		w.more = true // the acks make room
	}
	d.mu.Unlock()
	if room <= 0 {
		return nil
	}
	rows, err := d.st.StandPendingN(ctx, id, d.cfg.Now().Add(d.cfg.backoff(attempts)), after, room)
	if err != nil {
		return err
	}
	d.sent(id, rows, len(rows) == room)
	for _, r := range rows {
		d.publish(r.StandID, r.Payload, r.ID)
	}
	return nil
}

// sent records rows as in flight to stand id; more means others may wait
// above them.
func (d *Dispatcher) sent(id string, rows []model.OutboxRow, more bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	w := d.window[id]
	if w == nil {
		w = &window{}
		d.window[id] = w
	}
	w.inflight += len(rows)
	for _, r := range rows {
		w.last = max(w.last, r.Seq)
	}
	w.more = more
}

// acked counts an ack of stand id against its window and, when rows wait
// and half the window is free, makes the stand due now.
func (d *Dispatcher) acked(id string) {
	d.mu.Lock()
	w := d.window[id]
	due := false
	if w != nil {
		w.inflight = max(w.inflight-1, 0)
		if w.more && w.inflight <= d.cfg.MaxInFlight/2 {
			w.more = false
			d.ready[id] = true
			due = true
		}
		if w.inflight == 0 && !w.more {
			delete(d.window, id)
		}
	}
	d.mu.Unlock()
	if due {
		d.kickStands()
	}
}

// heldBack reports (and counts) whether stand id's presence says offline.
func (d *Dispatcher) heldBack(id string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.offline[id] {
		d.skipped++
		return true
	}
	return false
}

// Skipped counts the row publications held back because the stand was
// offline (for tests and metrics).
func (d *Dispatcher) Skipped() int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.skipped
}

func (d *Dispatcher) publish(standID string, payload []byte, id string) {
	if err := d.cfg.Link.Publish(mqtt.DownTopic(standID), false, payload); err != nil {
		d.cfg.Log.Debug("outbox: publish", "stand", standID, "id", id, "err", err)
	}
}
