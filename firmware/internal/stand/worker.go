package stand

import (
	"context"
	"errors"
	"time"

	"github.com/qrstand/qrstand/display"
	"github.com/qrstand/qrstand/firmware/internal/journal"
	"github.com/qrstand/qrstand/firmware/internal/speech"
	"github.com/qrstand/qrstand/mqtt"
)

// timeNow is the real clock for in-process timers (settling), which must
// not follow an injected wall clock.
var timeNow = time.Now

// worker processes the journal: every event not done, in order.
func (s *Stand) worker(ctx context.Context) error {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		wait, err := s.process(ctx)
		if err != nil {
			if errors.Is(err, context.Canceled) && ctx.Err() != nil {
				return nil
			}
			if s.crashed() != nil {
				return err
			}
			s.cfg.Log.Warn("stand: worker", "err", err)
			wait = s.cfg.PrintRetry
		}
		if wait > 0 {
			timer.Reset(wait)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.kick:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// process handles what is ready and returns how long to wait before
// looking again (0: until woken).
func (s *Stand) process(runCtx context.Context) (time.Duration, error) {
	// An event that was started is finished even when shutdown begins: a
	// clean stop must not leave it for a 补打 reprint. Shutdown is checked
	// between events.
	ctx := context.WithoutCancel(runCtx)
	evs, err := s.d.Journal.Unfinished(ctx)
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	s.pending = len(evs) // for status; the worker looks at every change
	s.mu.Unlock()
	var stale, resent []journal.Event
	batches := map[int64][]journal.Event{}
	var order []int64
	var wait time.Duration
	for _, e := range evs {
		if err := s.crashed(); err != nil {
			return 0, err
		}
		if err := runCtx.Err(); err != nil {
			return 0, err
		}
		switch {
		case e.State == journal.Printing && e.Batch > 0:
			if _, ok := batches[e.Batch]; !ok {
				order = append(order, e.Batch)
			}
			batches[e.Batch] = append(batches[e.Batch], e)
		case e.State == journal.Printing:
			if err := s.finish(ctx, e); err != nil {
				if s.crashed() != nil {
					return 0, err
				}
				s.retrying(e.ID, err)
				wait = s.cfg.PrintRetry
			}
		case e.CatchUp && e.Kind == mqtt.KindPaymentPaid && e.Resent:
			resent = append(resent, e)
		case e.CatchUp && e.Kind == mqtt.KindPaymentPaid:
			stale = append(stale, e)
		default:
			if err := s.handle(ctx, e); err != nil {
				if s.crashed() != nil {
					return 0, err
				}
				s.retrying(e.ID, err)
				wait = s.cfg.PrintRetry
			}
		}
	}
	for _, b := range order {
		if err := s.reprintBatch(ctx, batches[b]); err != nil {
			if s.crashed() != nil {
				return 0, err
			}
			s.retrying(batches[b][0].ID, err)
			wait = s.cfg.PrintRetry
		}
	}
	if n := len(stale) + len(resent); n > 0 {
		s.mu.Lock()
		pending := s.syncPending
		idle := timeNow().Sub(s.lastStale)
		s.mu.Unlock()
		if (pending > 0 && int64(n) >= pending) || idle >= s.cfg.CatchUpSettle {
			if err := s.catchUp(ctx, stale, resent); err != nil {
				if s.crashed() != nil {
					return 0, err
				}
				s.retrying("catch-up", err)
				return s.cfg.PrintRetry, nil
			}
			s.mu.Lock()
			s.syncPending = 0
			s.mu.Unlock()
		} else if w := s.cfg.CatchUpSettle - idle; wait == 0 || w < wait {
			wait = w
		}
	}
	if len(evs) > 0 {
		if left, err := s.d.Journal.Unfinished(ctx); err == nil {
			s.mu.Lock()
			s.pending = len(left)
			s.mu.Unlock()
		}
	}
	return wait, nil
}

func (s *Stand) two() speech.TwoStyle {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.store != nil && s.store.Announce.Liang {
		return speech.TwoLiang
	}
	return s.d.Announcer.Two()
}

func (s *Stand) announceOn() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.store == nil || s.store.Announce.Enabled
}

// storeQuiet reports whether the store's own quiet hours (store.config,
// set in the cloud) are in force; the stand's local [speech] quiet_hours
// apply in the Speaker on top.
func (s *Stand) storeQuiet() bool {
	s.mu.Lock()
	a := mqttAnnounce(s.store)
	s.mu.Unlock()
	if a.QuietStart == "" {
		return false
	}
	var q speech.QuietHours
	if err := q.UnmarshalText([]byte(a.QuietStart + "-" + a.QuietEnd)); err != nil {
		return false // Validate on the wire already refused bad times
	}
	return q.Contains(s.cfg.Now())
}

func mqttAnnounce(c *mqtt.StoreConfig) mqtt.AnnounceConfig {
	if c == nil {
		return mqtt.AnnounceConfig{}
	}
	return c.Announce
}

// announceOnce announces u unless it was said already in this run for
// the same ids (a journal write that failed after it is being retried), and
// notes the outcome for the ledger (a repeat keeps the first note). summary
// marks a catch-up's one announcement.
func (s *Stand) announceOnce(ctx context.Context, ids []string, u speech.Utterance, err error, summary bool) {
	s.mu.Lock()
	all := len(ids) > 0
	for _, id := range ids {
		all = all && s.said[id]
		s.said[id] = true
	}
	s.mu.Unlock()
	if all {
		s.cfg.Log.Debug("stand: already announced in this run, not repeated", "ids", len(ids))
		return
	}
	how, at := s.announce(ctx, u, err)
	if summary && how == mqtt.AnnounceSpoken {
		how = mqtt.AnnounceSummary
	}
	s.noteAnnounced(how, at, ids...)
}

// retrying logs an event that could not be finished (a print that failed,
// a journal write the disk refused): the first time, whenever the error
// changes, and then at most once a minute while it lasts, so a full disk
// is said clearly without a line per retry.
func (s *Stand) retrying(what string, err error) {
	s.mu.Lock()
	now := timeNow()
	quiet := err.Error() == s.lastRetryErr && now.Sub(s.lastRetryLog) < time.Minute
	if !quiet {
		s.lastRetryErr, s.lastRetryLog = err.Error(), now
	}
	s.mu.Unlock()
	if !quiet {
		s.cfg.Log.Warn("stand: event not finished, will retry", "id", what, "err", err, "retry_in", s.cfg.PrintRetry)
	}
}

// forget drops the in-run memory of ids once their state is journaled.
func (s *Stand) forget(m map[string]bool, ids ...string) {
	s.mu.Lock()
	for _, id := range ids {
		delete(m, id)
	}
	s.mu.Unlock()
}

// announce says u unless announcements are off or quiet, and returns how
// it went (a mqtt.Announce* outcome) and when it was said.
func (s *Stand) announce(ctx context.Context, u speech.Utterance, err error) (string, time.Time) {
	if err != nil {
		s.cfg.Log.Warn("stand: announcement", "err", err)
		return mqtt.AnnounceFailed, time.Time{}
	}
	if !s.announceOn() {
		return mqtt.AnnounceMuted, time.Time{}
	}
	if s.storeQuiet() {
		s.cfg.Log.Info("stand: store quiet hours, not spoken", "text", u.Text)
		return mqtt.AnnounceQuietHours, time.Time{}
	}
	s.cfg.Log.Info("stand: announce", "text", u.Text)
	at := s.cfg.Now()
	switch err := s.d.Announcer.Announce(ctx, u); {
	case errors.Is(err, speech.ErrQuietHours):
		s.cfg.Log.Info("stand: quiet hours, not spoken", "text", u.Text)
		return mqtt.AnnounceQuietHours, time.Time{}
	case err != nil:
		// A broken speaker must not hold up the receipt.
		s.cfg.Log.Warn("stand: announce", "err", err)
		return mqtt.AnnounceFailed, time.Time{}
	}
	return mqtt.AnnounceSpoken, at
}

func speechChannel(c string) speech.Channel {
	ch, err := speech.ParseChannel(c)
	if err != nil {
		return speech.ChannelWeChat
	}
	return ch
}

func displayChannel(c string) display.Channel {
	switch c {
	case mqtt.ChannelWeChat:
		return display.WeChat
	case mqtt.ChannelAlipay:
		return display.Alipay
	}
	return display.OtherChannel
}

// handle runs a new event through announce → printing → print → done.
func (s *Stand) handle(ctx context.Context, e journal.Event) error {
	m, err := e.Message()
	if err != nil {
		// Stored by this firmware, so this is a bug or a downgrade: keep
		// the row (nothing lost) but do not loop on it.
		s.cfg.Log.Error("stand: journaled event does not decode", "id", e.ID, "err", err)
		if err := s.d.Journal.MarkPrinting(ctx, 0, e.ID); err != nil {
			return err
		}
		return s.d.Journal.MarkDone(ctx, false, e.ID)
	}
	switch b := m.Body.(type) {
	case *mqtt.PaymentPaid:
		if !e.CatchUp {
			u, err := speechPayment(b.Channel, b.AmountFen, s.two())
			s.announceOnce(ctx, []string{e.ID}, u, err, false)
		}
	case *mqtt.PaymentRefunded:
		if !e.CatchUp {
			u, err := speech.Refund(b.RefundFen, s.two())
			s.announceOnce(ctx, []string{e.ID}, u, err, false)
		}
	}
	if err := s.hook(AfterAnnounce, e.ID); err != nil {
		return err
	}
	if err := s.d.Journal.MarkPrinting(ctx, 0, e.ID); err != nil {
		return err
	}
	s.forget(s.said, e.ID)
	if b, ok := m.Body.(*mqtt.PaymentPaid); ok && !e.CatchUp {
		if err := s.d.Face.Flash(b.AmountFen, displayChannel(b.Channel), b.PaidAt); err != nil {
			s.cfg.Log.Warn("stand: flash", "err", err)
		}
	}
	return s.printAndFinish(ctx, e, m, false)
}

func speechPayment(ch string, fen int64, two speech.TwoStyle) (speech.Utterance, error) {
	return speech.Payment(speechChannel(ch), fen, two)
}

// finish completes an event found in printing: after a crash its receipt
// may be on paper already, so it is printed again labelled 补打; after a
// print error in this run it is printed normally.
func (s *Stand) finish(ctx context.Context, e journal.Event) error {
	m, err := e.Message()
	if err != nil {
		s.cfg.Log.Error("stand: journaled event does not decode", "id", e.ID, "err", err)
		return s.d.Journal.MarkDone(ctx, false, e.ID)
	}
	s.mu.Lock()
	failed := s.failed[e.ID]
	s.mu.Unlock()
	return s.printAndFinish(ctx, e, m, !failed)
}

func (s *Stand) printAndFinish(ctx context.Context, e journal.Event, m mqtt.Message, reprint bool) error {
	if m.Type == mqtt.KindStandCommand {
		// Commands are not repeated after a crash (a reboot would loop),
		// nor when the cloud resends one the stand lost.
		if !reprint && !e.Resent {
			s.command(ctx, m.Body.(*mqtt.StandCommand))
		}
		if err := s.d.Journal.MarkDone(ctx, false, e.ID); err != nil {
			return err
		}
		s.report(s.ledgerFor(e, mqtt.PrintNone, time.Time{}))
		return nil
	}
	// A resent event may be on paper already, from before the loss.
	reprint = reprint || e.Resent
	s.mu.Lock()
	printed := s.printed[e.ID]
	s.mu.Unlock()
	if !printed {
		if err := s.printEvent(ctx, m, reprint); err != nil {
			s.mu.Lock()
			first := !s.failed[e.ID]
			s.failed[e.ID] = true
			s.mu.Unlock()
			s.cfg.Log.Warn("stand: print failed, will retry", "id", e.ID, "err", err)
			if first {
				s.report(s.ledgerFor(e, s.printFailure(), time.Time{}))
			}
			return err
		}
		s.mu.Lock()
		delete(s.failed, e.ID)
		s.printed[e.ID] = true
		s.mu.Unlock()
		if err := s.hook(AfterPrint, e.ID); err != nil {
			return err
		}
	}
	if err := s.d.Journal.MarkDone(ctx, reprint, e.ID); err != nil {
		return err
	}
	s.forget(s.printed, e.ID)
	s.report(s.ledgerFor(e, s.printOutcome(m.Type, reprint), s.cfg.Now()))
	return nil
}

// printOutcome is the ledger's print outcome of a finished event of kind k.
func (s *Stand) printOutcome(k mqtt.Kind, reprint bool) string {
	on, _, _ := s.printSettings()
	switch {
	case k == mqtt.KindStandCommand:
		return mqtt.PrintNone
	case !on && k != mqtt.KindShiftClosed:
		return mqtt.PrintOff
	case reprint:
		return mqtt.PrintReprint
	}
	return mqtt.PrintPrinted
}

// printFailure names why a print failed, for the ledger.
func (s *Stand) printFailure() string {
	if s.d.Printer.Paper() == mqtt.PaperOut {
		return mqtt.PrintPaperOut
	}
	return mqtt.PrintFailed
}

// catchUp handles the stale payments as one catch-up: one summary, then
// one list for the payments that reach the stand for the first time and
// one labelled 补打 for those the cloud resent after the stand lost them
// (they may be on paper already). The lists are separate batches, each
// marked printing only when its turn comes, so a failure between them
// never labels a first print 补打.
func (s *Stand) catchUp(ctx context.Context, stale, resent []journal.Event) error {
	var total int64
	var ids []string
	for _, e := range append(append([]journal.Event(nil), stale...), resent...) {
		total += e.Fen
		ids = append(ids, e.ID)
	}
	s.cfg.Log.Info("stand: catch-up", "count", len(ids), "fen", total, "resent", len(resent))
	u, err := speech.OfflineSummary(int64(len(ids)), total, s.two())
	s.announceOnce(ctx, ids, u, err, true)
	if err := s.hook(AfterAnnounce, ids...); err != nil {
		return err
	}
	for _, evs := range [][]journal.Event{stale, resent} {
		if len(evs) == 0 {
			continue
		}
		bids := make([]string, len(evs))
		for i, e := range evs {
			bids[i] = e.ID
		}
		batch, err := s.d.Journal.NextBatch(ctx)
		if err != nil {
			return err
		}
		if err := s.d.Journal.MarkPrinting(ctx, batch, bids...); err != nil {
			return err
		}
		s.forget(s.said, bids...)
		if err := s.printBatch(ctx, batch, evs, evs[0].Resent); err != nil {
			return err
		}
	}
	return nil
}

// reprintBatch finishes a catch-up batch found in printing.
func (s *Stand) reprintBatch(ctx context.Context, evs []journal.Event) error {
	s.mu.Lock()
	failed := s.failed[evs[0].ID]
	s.mu.Unlock()
	return s.printBatch(ctx, evs[0].Batch, evs, !failed || evs[0].Resent)
}

func (s *Stand) printBatch(ctx context.Context, batch int64, evs []journal.Event, reprint bool) error {
	ids := make([]string, len(evs))
	for i, e := range evs {
		ids[i] = e.ID
	}
	s.mu.Lock()
	printed := s.printed[ids[0]]
	s.mu.Unlock()
	if !printed {
		if err := s.printCatchUp(ctx, evs, reprint); err != nil {
			s.mu.Lock()
			first := !s.failed[ids[0]]
			for _, id := range ids {
				s.failed[id] = true
			}
			s.mu.Unlock()
			s.cfg.Log.Warn("stand: catch-up print failed, will retry", "batch", batch, "err", err)
			if first {
				how := s.printFailure()
				ls := make([]*mqtt.Ledger, len(evs))
				for i, e := range evs {
					ls[i] = s.ledgerFor(e, how, time.Time{})
				}
				s.report(ls...)
			}
			return err
		}
		s.mu.Lock()
		for _, id := range ids {
			delete(s.failed, id)
			s.printed[id] = true
		}
		s.mu.Unlock()
		if err := s.hook(AfterPrint, ids...); err != nil {
			return err
		}
	}
	if err := s.d.Journal.MarkDone(ctx, reprint, ids...); err != nil {
		return err
	}
	s.forget(s.printed, ids...)
	how := s.printOutcome(mqtt.KindPaymentPaid, reprint)
	now := s.cfg.Now()
	ls := make([]*mqtt.Ledger, len(evs))
	for i, e := range evs {
		ls[i] = s.ledgerFor(e, how, now)
	}
	s.report(ls...) // one save for the batch
	return nil
}
