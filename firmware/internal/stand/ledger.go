package stand

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/qrstand/qrstand/firmware/internal/journal"
	"github.com/qrstand/qrstand/mqtt"
)

// maxLedgerQueue bounds the reports kept while the cloud is unreachable; a
// stand offline for days drops the oldest (the cloud then shows the event
// as delivered without the announcement details).
const maxLedgerQueue = 500

// keyLedgerQueue keeps the unsent reports in the journal's settings, so a
// reboot while offline loses none. It is written lazily (no fsync of its
// own; it reaches the disk with the journal's next synced write): a power
// cut may lose the newest reports, which only cost the cloud an event's
// announcement details, and saving them must not hold the writer's turn
// for an fsync twice per payment.
const keyLedgerQueue = "ledger_queue"

// loadLedger reads the reports a previous run left unsent (before the
// sender starts).
func (s *Stand) loadLedger(ctx context.Context) {
	b, err := s.d.Journal.Setting(ctx, keyLedgerQueue)
	if err != nil || len(b) == 0 {
		return
	}
	var q []*mqtt.Ledger
	if err := json.Unmarshal(b, &q); err != nil {
		s.cfg.Log.Warn("stand: unsent ledger reports unreadable, dropped", "err", err)
		return
	}
	r := &s.reports
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, l := range q {
		if l != nil && l.Validate() == nil && len(r.q) < maxLedgerQueue {
			r.q = append(r.q, l)
		}
	}
}

// saveLedger writes the queue as it is now. saveMu keeps two writers from
// storing an older snapshot over a newer one.
func (s *Stand) saveLedger(ctx context.Context) {
	r := &s.reports
	r.saveMu.Lock()
	defer r.saveMu.Unlock()
	r.mu.Lock()
	var b []byte
	if len(r.q) > 0 {
		b, _ = json.Marshal(r.q)
	}
	r.mu.Unlock()
	if err := s.d.Journal.SetSettingLazy(context.WithoutCancel(ctx), keyLedgerQueue, b); err != nil {
		s.cfg.Log.Warn("stand: save ledger reports", "err", err)
	}
}

// announced is how one event's announcement went, kept until its ledger
// report is built.
type announced struct {
	how string
	at  time.Time
}

// noteAnnounced records how event id was announced.
func (w *worker) noteAnnounced(how string, at time.Time, ids ...string) {
	for _, id := range ids {
		w.announced[id] = announced{how: how, at: at}
	}
}

// ledgerFor builds the report of e with print outcome how (printed at at).
func (w *worker) ledgerFor(e journal.Event, how string, at time.Time) *mqtt.Ledger {
	l := &mqtt.Ledger{Ref: e.ID, Event: e.Kind, CatchUp: e.CatchUp, JournaledAt: e.ReceivedAt.UTC(), Print: how}
	if how == mqtt.PrintPrinted || how == mqtt.PrintReprint {
		l.PrintedAt = at.UTC()
	}
	if m, err := e.Message(); err == nil {
		switch b := m.Body.(type) {
		case *mqtt.PaymentPaid:
			l.OrderNo = b.OrderNo
		case *mqtt.PaymentRefunded:
			l.OrderNo = b.OrderNo
		}
	}
	if len(l.OrderNo) > mqtt.MaxOrderNo {
		l.OrderNo = ""
	}
	a, ok := w.announced[e.ID]
	if how != mqtt.PrintPaperOut && how != mqtt.PrintFailed {
		delete(w.announced, e.ID) // finished: nothing more to report
	}
	switch {
	case ok:
		l.Announce = a.how
		if a.how == mqtt.AnnounceSpoken || a.how == mqtt.AnnounceSummary {
			l.AnnouncedAt = a.at.UTC()
		}
	case e.Kind == mqtt.KindPaymentPaid || e.Kind == mqtt.KindPaymentRefunded:
		// Found in printing after a restart: it was announced (that is
		// what printing means) but the time went with the process.
		l.Announce = mqtt.AnnounceUnknown
	default:
		l.Announce = mqtt.AnnounceNone
	}
	return l
}

// reportQueue holds the ledger reports the broker has not accepted yet:
// the worker adds, the ledger sender takes, anyone may count. It has its
// own lock so that neither waits on the other's work; the journal keeps a
// copy (saveLedger) so that a restart loses none.
type reportQueue struct {
	kick chan struct{} // wakes the sender

	mu sync.Mutex
	q  []*mqtt.Ledger

	saveMu sync.Mutex // orders saveLedger's writes
}

// report queues ledger reports, saves the queue once for the batch and
// wakes the sender.
func (s *Stand) report(ls ...*mqtt.Ledger) {
	r := &s.reports
	r.mu.Lock()
	for _, l := range ls {
		if err := l.Validate(); err != nil {
			s.cfg.Log.Error("stand: ledger report", "id", l.Ref, "err", err)
			continue
		}
		if len(r.q) >= maxLedgerQueue {
			s.cfg.Log.Warn("stand: ledger queue full, oldest report dropped", "id", r.q[0].Ref)
			r.q = r.q[1:]
		}
		r.q = append(r.q, l)
	}
	r.mu.Unlock()
	s.saveLedger(context.Background())
	r.wake()
}

// wake wakes the sender.
func (r *reportQueue) wake() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// first returns the oldest report, or nil.
func (r *reportQueue) first() *mqtt.Ledger {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.q) == 0 {
		return nil
	}
	return r.q[0]
}

// sent drops l, the oldest report, once the broker accepted it (unless the
// queue dropped it meanwhile).
func (r *reportQueue) sent(l *mqtt.Ledger) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.q) > 0 && r.q[0] == l {
		r.q = r.q[1:]
	}
}

// ledgerSender publishes queued reports in order while connected; it is
// woken by new reports and by every (re)connect.
func (s *Stand) ledgerSender(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.reports.kick:
		}
		sent := 0
		for s.d.Uplink.Connected() {
			l := s.reports.first()
			if l == nil {
				break
			}
			if _, err := s.d.Uplink.Publish(ctx, l); err != nil {
				if ctx.Err() == nil {
					s.cfg.Log.Warn("stand: ledger report", "id", l.Ref, "err", err)
				}
				break // the next connect wakes us
			}
			s.reports.sent(l)
			sent++
		}
		if sent > 0 {
			// A crash before this write resends a few reports; the
			// cloud keeps the latest per event, so that is harmless.
			s.saveLedger(ctx)
		}
	}
}

// PendingReports is how many ledger reports wait for the cloud.
func (s *Stand) PendingReports() int {
	s.reports.mu.Lock()
	defer s.reports.mu.Unlock()
	return len(s.reports.q)
}
