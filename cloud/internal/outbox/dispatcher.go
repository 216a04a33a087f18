package outbox

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/storage"
	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/pahostore"
)

// Dispatcher delivers outbox rows. Run it once per cloud node.
type Dispatcher struct {
	cfg   Config
	st    *storage.Storage
	wake  chan struct{}
	twake chan struct{} // the template loop's wake

	mu      sync.RWMutex
	client  paho.Client
	offline map[string]bool // stand id → its retained presence says offline
	skipped int64           // rows not published because their stand was offline

	ackMiss *prometheus.CounterVec
	resent  prometheus.Counter
	// syncs are the ids of recent syncs this node sent: a stand acks them
	// like any message, and those acks are not worth counting.
	syncs     map[string]bool
	syncOrder []string
	// lastResend bounds how often one stand can reopen its delivered rows
	// (a hostile stand saying hello with last_seq 0 in a loop).
	lastResend map[string]time.Time
}

// resendEvery is the least time between two resends to one stand. A real
// loss needs one: rows it reopened stay pending, and so are flushed by
// every hello, until the stand acks them.
const resendEvery = time.Minute

// mayResend reports (and records) whether stand id may have rows reopened
// at now.
func (d *Dispatcher) mayResend(id string, now time.Time) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if last, ok := d.lastResend[id]; ok && now.Sub(last) < resendEvery && now.Sub(last) >= 0 {
		return false
	}
	if len(d.lastResend) > 100_000 {
		clear(d.lastResend) // a bound, not a policy: forgetting only allows one more resend
	}
	d.lastResend[id] = now
	return true
}

// maxSyncs bounds the remembered sync ids (one per hello).
const maxSyncs = 4096

func (d *Dispatcher) rememberSync(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.syncOrder) >= maxSyncs {
		delete(d.syncs, d.syncOrder[0])
		d.syncOrder = d.syncOrder[1:]
	}
	d.syncs[id] = true
	d.syncOrder = append(d.syncOrder, id)
}

func (d *Dispatcher) isSync(id string) bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.syncs[id]
}

// resendKinds are the events a stand keeps in its journal and that are
// resent when it lost them; a command is not repeated (a reboot would
// loop), and anything newer is left to the stand's own version.
var resendKinds = []mqtt.Kind{mqtt.KindPaymentPaid, mqtt.KindPaymentRefunded, mqtt.KindShiftClosed}

// New returns a dispatcher; Run starts it.
func New(cfg Config, st *storage.Storage) (*Dispatcher, error) {
	cfg.applyDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Dispatcher{cfg: cfg, st: st, wake: make(chan struct{}, 1), twake: make(chan struct{}, 1), offline: map[string]bool{}, syncs: map[string]bool{}, lastResend: map[string]time.Time{},
		ackMiss: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "qrstand_outbox_ack_unmatched_total",
			Help: "Stand acks that matched no pending outbox row of that stand, by reason: unknown id, foreign (another stand's row), repeat (already delivered)."},
			[]string{"reason"}),
		resent: prometheus.NewCounter(prometheus.CounterOpts{Name: "qrstand_outbox_resent_total",
			Help: "Delivered stand rows sent again because the stand's hello reported a last_seq below them (a lost journal)."}),
	}, nil
}

// Collectors are the dispatcher's metrics, for a prometheus registry.
func (d *Dispatcher) Collectors() []prometheus.Collector {
	return []prometheus.Collector{d.ackMiss, d.resent}
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

// Connected reports whether the MQTT connection is up.
func (d *Dispatcher) Connected() bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.client != nil && d.client.IsConnectionOpen()
}

// Run connects to the broker and delivers until ctx is done.
func (d *Dispatcher) Run(ctx context.Context) error {
	opts := paho.NewClientOptions().AddBroker(d.cfg.Broker).
		SetClientID(d.cfg.ClientID).SetUsername(d.cfg.User).SetPassword(d.cfg.Secret).
		// A shared subscriber uses a clean session: brokers keep routing a
		// share of the uplinks to a dead node's persistent session.
		SetCleanSession(strings.HasPrefix(d.cfg.UpFilter, "$share/")).SetAutoReconnect(true).SetConnectRetry(true).
		SetConnectRetryInterval(time.Second).SetMaxReconnectInterval(10 * time.Second).
		SetOrderMatters(false)
	if d.cfg.StoreDir != "" {
		// Not paho's FileStore: it panics when the disk is full.
		opts.SetStore(pahostore.New(d.cfg.StoreDir, d.cfg.Log))
	}
	opts.SetOnConnectHandler(func(c paho.Client) {
		tok := c.SubscribeMultiple(map[string]byte{d.cfg.UpFilter: 1, d.cfg.StateFilter: 1}, d.onUp)
		if tok.WaitTimeout(10*time.Second) && tok.Error() != nil {
			d.cfg.Log.Error("outbox: subscribe", "filters", []string{d.cfg.UpFilter, d.cfg.StateFilter}, "err", tok.Error())
		}
		d.cfg.Log.Info("outbox: connected", "broker", d.cfg.Broker, "client", d.cfg.ClientID)
		d.Kick()
	})
	// Uplinks a persistent session delivers before the SUBACK.
	opts.SetDefaultPublishHandler(d.onUp)
	c := paho.NewClient(opts)
	d.mu.Lock()
	d.client = c
	d.mu.Unlock()
	c.Connect() // retries in the background until ctx ends
	defer c.Disconnect(250)

	// Template rows have their own loop: a WeChat API that answers slowly
	// or not at all must never delay a stand's payment announcement.
	var wg sync.WaitGroup
	if d.cfg.Templates != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.runTemplates(ctx)
		}()
	}
	defer wg.Wait()

	t := time.NewTicker(d.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
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

// Pass claims and sends the stand rows due now; it returns after one
// batch. Template rows are sent by their own loop (see Run).
func (d *Dispatcher) Pass(ctx context.Context) error {
	rows, err := d.st.ClaimOutboxKind(ctx, model.OutboxStand, d.cfg.Now(), d.cfg.Batch, d.cfg.backoff)
	if err != nil {
		return err
	}
	// A stand gets its rows in seq order: a row due now may be newer than
	// one still backing off, so a due row sends all of its stand's pending
	// rows, oldest first (the stand acks repeats as duplicates).
	attempts := map[string]int{}
	var stands []string
	for _, r := range rows {
		switch r.Kind {
		case model.OutboxStand:
			if _, ok := attempts[r.StandID]; !ok {
				stands = append(stands, r.StandID)
			}
			attempts[r.StandID] = max(attempts[r.StandID], r.Attempts)
		}
	}
	for _, id := range stands {
		if d.heldBack(id) {
			continue
		}
		pending, err := d.st.StandPending(ctx, id, d.cfg.Now().Add(d.cfg.backoff(attempts[id])))
		if err != nil {
			return err
		}
		for _, r := range pending {
			d.publishRow(r)
		}
	}
	if len(rows) == d.cfg.Batch {
		d.Kick() // more may be due
	}
	return nil
}

// publishRow puts a stand row on the wire. Nothing waits for the PUBACK:
// only the stand's ack marks the row delivered; until then the claim's
// backoff brings it back. Pass skips a stand whose presence says offline:
// every retry would queue one more copy in its broker session (thousands
// for a battery stand that is off for a day), and its hello on return
// flushes every pending row anyway.
func (d *Dispatcher) publishRow(r model.OutboxRow) {
	d.publish(mqtt.DownTopic(r.StandID), r.Payload, r.ID)
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
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.skipped
}

// setOnline records a stand's presence.
func (d *Dispatcher) setOnline(id string, online bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if online {
		delete(d.offline, id)
	} else {
		d.offline[id] = true
	}
}

func (d *Dispatcher) publish(topic string, payload []byte, id string) {
	d.mu.RLock()
	c := d.client
	d.mu.RUnlock()
	if c == nil || !c.IsConnectionOpen() {
		return
	}
	tok := c.Publish(topic, 1, false, payload)
	go func() {
		if tok.WaitTimeout(30*time.Second) && tok.Error() != nil {
			d.cfg.Log.Warn("outbox: publish", "topic", topic, "id", id, "err", tok.Error())
		}
	}()
}

// onUp handles acks and hellos from stands.
func (d *Dispatcher) onUp(_ paho.Client, pm paho.Message) { d.handleUp(pm.Topic(), pm.Payload()) }

// handleUp acts on one uplink: an ack marks that stand's row delivered, a
// hello is answered with sync and the stand's pending rows. Anything else,
// or anything malformed, is ignored.
func (d *Dispatcher) handleUp(topic string, payload []byte) {
	id, ch, ok := mqtt.ParseTopic(topic)
	if !ok || (ch != mqtt.ChannelUp && ch != mqtt.ChannelState) {
		return
	}
	if ch == mqtt.ChannelState && len(payload) == 0 {
		d.setOnline(id, true) // retained presence cleared: no longer known offline
		return
	}
	m, err := mqtt.Unmarshal(payload)
	if err != nil {
		return // standlink logs bad uplinks
	}
	if p, ok := m.Body.(*mqtt.Presence); ok {
		if ch == mqtt.ChannelState {
			d.setOnline(id, p.Online)
		}
		return
	}
	if ch != mqtt.ChannelUp {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	switch b := m.Body.(type) {
	case *mqtt.Ack:
		ok, err := d.st.OutboxAcked(ctx, id, b.Ref, d.cfg.Now())
		if err != nil {
			d.cfg.Log.Error("outbox: ack", "stand", id, "ref", b.Ref, "err", err)
			return
		}
		if ok {
			d.cfg.Log.Info("outbox: delivered", "stand", id, "ref", b.Ref, "result", b.Result)
			return
		}
		// Counted, and logged at debug only: a stand (or anyone holding its
		// credentials) can send acks for ids it does not own as fast as it
		// likes, and a repeat is ordinary QoS 1 redelivery. Acks of this
		// node's syncs are expected; acks of standlink's store.config and
		// pair.code (rare) count as unknown.
		if d.isSync(b.Ref) {
			return
		}
		reason, err := d.st.OutboxAckMiss(ctx, id, b.Ref)
		if err != nil {
			d.cfg.Log.Error("outbox: ack", "stand", id, "ref", b.Ref, "err", err)
			return
		}
		d.ackMiss.WithLabelValues(reason).Inc()
		d.cfg.Log.Debug("outbox: ack matches no pending row", "stand", id, "ref", b.Ref, "reason", reason, "result", b.Result)
	case *mqtt.Hello:
		// A hello can overtake the stand's online presence (another topic).
		d.setOnline(id, true)
		if err := d.flush(ctx, id, b.LastSeq); err != nil {
			d.cfg.Log.Error("outbox: flush on hello", "stand", id, "err", err)
		}
	}
}

// flush answers a hello: a sync naming how many events follow, then every
// pending row of the stand in seq order. Rows the stand acked but no longer
// holds (delivered with a seq above the hello's last_seq, within
// ResendWindow) are pending again first, marked resent.
func (d *Dispatcher) flush(ctx context.Context, standID string, lastSeq int64) error {
	now := d.cfg.Now()
	behind, err := d.st.DeliveredAfter(ctx, standID, lastSeq, resendKinds)
	if err != nil {
		return err
	}
	n := 0
	if behind && !d.mayResend(standID, now) {
		d.cfg.Log.Debug("outbox: stand behind again within a minute; not reopening its rows", "stand", standID, "stand_last_seq", lastSeq)
	} else if behind {
		if n, err = d.st.ResendDelivered(ctx, standID, lastSeq, now.Add(-d.cfg.ResendWindow), now, resendKinds); err != nil {
			return err
		}
	}
	if n > 0 {
		d.resent.Add(float64(n))
		d.cfg.Log.Warn("outbox: stand lost events it had acknowledged (hello last_seq below them); sending them again marked resent",
			"stand", standID, "stand_last_seq", lastSeq, "resent", n)
	}
	rows, err := d.st.StandPending(ctx, standID, now.Add(d.cfg.backoff(1)))
	if err != nil {
		return err
	}
	var through int64
	for _, r := range rows {
		through = max(through, r.Seq)
	}
	sync := mqtt.New(&mqtt.Sync{Pending: int64(len(rows)), ThroughSeq: through}, now)
	b, err := sync.Marshal()
	if err != nil {
		return fmt.Errorf("outbox: sync: %w", err)
	}
	d.rememberSync(sync.ID)
	d.publish(mqtt.DownTopic(standID), b, sync.ID)
	for _, r := range rows {
		d.publishRow(r)
	}
	d.cfg.Log.Info("outbox: hello answered", "stand", standID, "pending", len(rows), "through_seq", through, "stand_last_seq", lastSeq)
	return nil
}
