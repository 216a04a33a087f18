package outbox

import (
	"context"
	"fmt"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/nodelink"
	"github.com/qrstand/qrstand/cloud/internal/storage"
	"github.com/qrstand/qrstand/mqtt"
)

// resendEvery is the least time between two resends to one stand. A real
// loss needs one: rows it reopened stay pending, and so are flushed by
// every hello, until the stand acks them.
const resendEvery = time.Minute

// maxSyncs bounds the remembered sync ids (one per hello).
const maxSyncs = 4096

// resendKinds are the events a stand keeps in its journal and that are
// resent when it lost them; a command is not repeated (a reboot would
// loop), and anything newer is left to the stand's own version.
var resendKinds = []mqtt.Kind{mqtt.KindPaymentPaid, mqtt.KindPaymentRefunded, mqtt.KindShiftClosed}

// ackIn is a stand's ack on its way to the ack writer.
type ackIn struct {
	stand string
	ack   *mqtt.Ack
}

// maxAckBatch bounds the acks written in one transaction.
const maxAckBatch = 256

// route hands acks to the ack writer, which marks a burst of them in one
// transaction, and handles the rest.
func (d *Dispatcher) route(ctx context.Context, u nodelink.Uplink) {
	if a, ok := u.Msg.Body.(*mqtt.Ack); ok {
		select {
		case d.acks <- ackIn{u.Stand, a}:
		case <-ctx.Done():
		}
		return
	}
	d.handleUp(ctx, u)
}

// writeAcks marks acked rows delivered, every ack waiting at once in one
// transaction, until ctx is done.
func (d *Dispatcher) writeAcks(ctx context.Context) {
	batch := make([]ackIn, 0, maxAckBatch)
	for {
		select {
		case <-ctx.Done():
			return
		case a := <-d.acks:
			batch = append(batch[:0], a)
		}
	more:
		for len(batch) < maxAckBatch {
			select {
			case a := <-d.acks:
				batch = append(batch, a)
			default:
				break more
			}
		}
		d.ackBatch(ctx, batch)
	}
}

// ackBatch marks the rows of batch delivered and accounts for each ack.
// A failed write leaves the rows pending: they are sent again after their
// backoff and the stand acks the repeat.
func (d *Dispatcher) ackBatch(ctx context.Context, batch []ackIn) {
	in := make([]storage.StandAck, len(batch))
	for i, a := range batch {
		in[i] = storage.StandAck{StandID: a.stand, ID: a.ack.Ref}
	}
	ok, err := d.st.OutboxAckedBatch(ctx, in, d.cfg.Now())
	if err != nil {
		if ctx.Err() == nil {
			d.cfg.Log.Error("outbox: acks", "acks", len(batch), "err", err)
		}
		return
	}
	for i, a := range batch {
		if ok[i] {
			d.acked(a.stand)
			d.cfg.Log.Debug("outbox: delivered", "stand", a.stand, "ref", a.ack.Ref, "result", a.ack.Result)
			continue
		}
		d.ackMissed(ctx, a.stand, a.ack)
	}
}

// handleUp acts on one uplink, on a worker of the dispatcher's queue (a
// stand's uplinks one at a time, in order): an ack marks that stand's row
// delivered, a hello is answered with sync and the stand's pending rows,
// a presence holds back or releases the stand's rows.
func (d *Dispatcher) handleUp(ctx context.Context, u nodelink.Uplink) {
	id := u.Stand
	if u.Cleared {
		d.setOnline(id, true, false) // retained presence cleared: no longer known offline
		return
	}
	switch b := u.Msg.Body.(type) {
	case *mqtt.Presence:
		d.setOnline(id, b.Online, b.Online && !u.Retained)
	case *mqtt.Ack:
		d.ack(ctx, id, b)
	case *mqtt.Hello:
		// A hello can overtake the stand's online presence (another topic).
		d.setOnline(id, true, false)
		if err := d.flush(ctx, id, b.LastSeq); err != nil && ctx.Err() == nil {
			d.cfg.Log.Error("outbox: flush on hello", "stand", id, "err", err)
		}
	}
}

func (d *Dispatcher) ack(ctx context.Context, id string, b *mqtt.Ack) {
	ok, err := d.st.OutboxAcked(ctx, id, b.Ref, d.cfg.Now())
	if err != nil {
		if ctx.Err() == nil {
			d.cfg.Log.Error("outbox: ack", "stand", id, "ref", b.Ref, "err", err)
		}
		return
	}
	if ok {
		d.acked(id)
		d.cfg.Log.Debug("outbox: delivered", "stand", id, "ref", b.Ref, "result", b.Result)
		return
	}
	d.ackMissed(ctx, id, b)
}

// ackMissed accounts for an ack that delivered nothing.
func (d *Dispatcher) ackMissed(ctx context.Context, id string, b *mqtt.Ack) {
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
		if ctx.Err() == nil {
			d.cfg.Log.Error("outbox: ack", "stand", id, "ref", b.Ref, "err", err)
		}
		return
	}
	d.ackMiss.WithLabelValues(reason).Inc()
	d.cfg.Log.Debug("outbox: ack matches no pending row", "stand", id, "ref", b.Ref, "reason", reason, "result", b.Result)
}

// dropped makes up for an uplink the full queue refused (on paho's
// goroutine: it only records). A dropped hello is answered anyway by the
// next pass (a sync and the pending rows, without the resend check a
// hello's last_seq allows). A dropped presence no longer holds the stand
// back: at worst a row is queued for a stand that is away. A dropped ack
// leaves its row pending: it comes due after its backoff, is sent again,
// and the stand acks the repeat (it keeps every event's id).
func (d *Dispatcher) dropped(u nodelink.Uplink) {
	d.mu.Lock()
	switch u.Kind() {
	case mqtt.KindHello:
		delete(d.offline, u.Stand)
		delete(d.awaiting, u.Stand)
		d.resync[u.Stand] = true
		d.resynced.WithLabelValues("dropped").Inc()
	case mqtt.KindPresence:
		delete(d.offline, u.Stand)
	}
	d.mu.Unlock()
	if u.Kind() == mqtt.KindHello {
		d.kickStands()
	}
}

// setOnline records a stand's presence; live marks an online presence
// seen as it happened (not a retained one replayed on subscribe), which
// starts the hello grace.
func (d *Dispatcher) setOnline(id string, online, live bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if online {
		delete(d.offline, id)
	} else {
		d.offline[id] = true
	}
	switch {
	case live && d.cfg.HelloGrace > 0:
		d.awaiting[id] = d.cfg.Now()
	case !online:
		delete(d.awaiting, id)
	}
}

// runGrace answers, as if they had said hello, stands online for
// HelloGrace without a hello seen.
func (d *Dispatcher) runGrace(ctx context.Context) {
	t := time.NewTicker(d.cfg.HelloGrace / 2)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := d.cfg.Now()
		n := 0
		d.mu.Lock()
		for id, at := range d.awaiting {
			if now.Sub(at) >= d.cfg.HelloGrace {
				delete(d.awaiting, id)
				d.resync[id] = true
				n++
			}
		}
		d.mu.Unlock()
		if n > 0 {
			d.resynced.WithLabelValues("no_hello").Add(float64(n))
			d.cfg.Log.Warn("outbox: stands online without a hello; sending them a sync and their pending rows", "stands", n)
			d.kickStands()
		}
	}
}

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
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.syncs[id]
}

// flush answers a hello: a sync naming how many events follow, then the
// stand's pending rows in seq order (at most MaxInFlight now, the rest as
// they are acked). Rows the stand acked but no longer holds (delivered
// with a seq above the hello's last_seq, within ResendWindow) are pending
// again first, marked resent. lastSeq < 0 means no hello was seen (it was
// dropped, or never came): nothing is reopened.
func (d *Dispatcher) flush(ctx context.Context, standID string, lastSeq int64) error {
	d.mu.Lock()
	delete(d.awaiting, standID)
	d.mu.Unlock()
	now := d.cfg.Now()
	if lastSeq >= 0 {
		if err := d.reopen(ctx, standID, lastSeq, now); err != nil {
			return err
		}
	}
	unlock := d.lockStand(standID)
	defer unlock()
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
	d.publish(standID, b, sync.ID)
	send := rows[:min(len(rows), d.cfg.MaxInFlight)]
	d.mu.Lock()
	d.window[standID] = &window{} // a hello starts the stand's stream again
	d.mu.Unlock()
	d.sent(standID, send, len(rows) > len(send))
	for _, r := range send {
		d.publish(r.StandID, r.Payload, r.ID)
	}
	d.cfg.Log.Info("outbox: hello answered", "stand", standID, "pending", len(rows), "through_seq", through, "stand_last_seq", lastSeq)
	return nil
}

// reopen puts back to pending, marked resent, the rows a stand acked but
// reports (hello last_seq) it no longer holds.
func (d *Dispatcher) reopen(ctx context.Context, standID string, lastSeq int64, now time.Time) error {
	behind, err := d.st.DeliveredAfter(ctx, standID, lastSeq, resendKinds)
	if err != nil || !behind {
		return err
	}
	if !d.mayResend(standID, now) {
		d.cfg.Log.Debug("outbox: stand behind again within a minute; not reopening its rows", "stand", standID, "stand_last_seq", lastSeq)
		return nil
	}
	n, err := d.st.ResendDelivered(ctx, standID, lastSeq, now.Add(-d.cfg.ResendWindow), now, resendKinds)
	if err != nil {
		return err
	}
	if n > 0 {
		d.resent.Add(float64(n))
		d.cfg.Log.Warn("outbox: stand lost events it had acknowledged (hello last_seq below them); sending them again marked resent",
			"stand", standID, "stand_last_seq", lastSeq, "resent", n)
	}
	return nil
}
