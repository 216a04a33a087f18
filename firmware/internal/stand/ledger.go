package stand

import (
	"context"
	"encoding/json"
	"time"

	"github.com/qrstand/qrstand/firmware/internal/journal"
	"github.com/qrstand/qrstand/mqtt"
)

// maxLedgerQueue bounds the reports kept while the cloud is unreachable; a
// stand offline for days drops the oldest (the cloud then shows the event
// as delivered without the announcement details).
const maxLedgerQueue = 500

// keyLedgerQueue keeps the unsent reports in the journal's settings, so a
// reboot while offline loses none.
const keyLedgerQueue = "ledger_queue"

// loadLedger reads the reports a previous run left unsent.
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
	for _, l := range q {
		if l != nil && l.Validate() == nil && len(s.ledgerQ) < maxLedgerQueue {
			s.ledgerQ = append(s.ledgerQ, l)
		}
	}
}

// saveLedger writes the queue as it is now. saveMu keeps two writers from
// storing an older snapshot over a newer one.
func (s *Stand) saveLedger(ctx context.Context) {
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	s.mu.Lock()
	var b []byte
	if len(s.ledgerQ) > 0 {
		b, _ = json.Marshal(s.ledgerQ)
	}
	s.mu.Unlock()
	if err := s.d.Journal.SetSetting(context.WithoutCancel(ctx), keyLedgerQueue, b); err != nil {
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
func (s *Stand) noteAnnounced(how string, at time.Time, ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		s.announced[id] = announced{how: how, at: at}
	}
}

// ledgerFor builds the report of e with print outcome how (printed at at).
func (s *Stand) ledgerFor(e journal.Event, how string, at time.Time) *mqtt.Ledger {
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
	s.mu.Lock()
	a, ok := s.announced[e.ID]
	if how != mqtt.PrintPaperOut && how != mqtt.PrintFailed {
		delete(s.announced, e.ID) // finished: nothing more to report
	}
	s.mu.Unlock()
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

// report queues ledger reports, saves the queue once and wakes the sender.
func (s *Stand) report(ls ...*mqtt.Ledger) {
	s.mu.Lock()
	for _, l := range ls {
		if err := l.Validate(); err != nil {
			s.cfg.Log.Error("stand: ledger report", "id", l.Ref, "err", err)
			continue
		}
		if len(s.ledgerQ) >= maxLedgerQueue {
			s.cfg.Log.Warn("stand: ledger queue full, oldest report dropped", "id", s.ledgerQ[0].Ref)
			s.ledgerQ = s.ledgerQ[1:]
		}
		s.ledgerQ = append(s.ledgerQ, l)
	}
	s.mu.Unlock()
	s.saveLedger(context.Background())
	select {
	case s.ledgerKick <- struct{}{}:
	default:
	}
}

// ledgerSender publishes queued reports in order while connected; it is
// woken by new reports and by every (re)connect.
func (s *Stand) ledgerSender(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.ledgerKick:
		}
		sent := 0
		for s.d.Uplink.Connected() {
			s.mu.Lock()
			if len(s.ledgerQ) == 0 {
				s.mu.Unlock()
				break
			}
			l := s.ledgerQ[0]
			s.mu.Unlock()
			if _, err := s.d.Uplink.Publish(ctx, l); err != nil {
				if ctx.Err() == nil {
					s.cfg.Log.Warn("stand: ledger report", "id", l.Ref, "err", err)
				}
				break // the next connect wakes us
			}
			s.mu.Lock()
			if len(s.ledgerQ) > 0 && s.ledgerQ[0] == l {
				s.ledgerQ = s.ledgerQ[1:]
			}
			s.mu.Unlock()
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
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.ledgerQ)
}
