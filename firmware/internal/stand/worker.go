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

// worker is the journal pipeline: it handles every event not done, in
// order. Its fields belong to the goroutine running run and have no lock;
// the Stand it embeds gives the configuration, the parts and the shared
// settings.
type worker struct {
	*Stand
	// failed holds ids whose print failed in this run (not on paper).
	failed map[string]bool
	// A journal write that fails (a full disk) after the announcement or
	// the print must not repeat them on the retry: these remember, for
	// this run, what was said and what came out but is not journaled yet.
	said    map[string]bool
	printed map[string]bool
	// announced is how events in the pipeline were announced, until their
	// ledger report is built.
	announced map[string]announced
	// retrying's memory: the last error logged and when.
	lastRetryErr string
	lastRetryLog time.Time
}

func newWorker(s *Stand) *worker {
	return &worker{
		Stand:     s,
		failed:    map[string]bool{},
		said:      map[string]bool{},
		printed:   map[string]bool{},
		announced: map[string]announced{},
	}
}

// run processes the journal until ctx ends or a hook crashes the pipeline.
func (w *worker) run(ctx context.Context) error {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		wait, err := w.process(ctx)
		if err != nil {
			if errors.Is(err, context.Canceled) && ctx.Err() != nil {
				return nil
			}
			if w.crashed() != nil {
				return err
			}
			w.cfg.Log.Warn("stand: worker", "err", err)
			wait = w.cfg.PrintRetry
		}
		if wait > 0 {
			timer.Reset(wait)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-w.kick:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// process handles what is ready and returns how long to wait before
// looking again (0: until woken).
func (w *worker) process(runCtx context.Context) (time.Duration, error) {
	// An event that was started is finished even when shutdown begins: a
	// clean stop must not leave it for a 补打 reprint. Shutdown is checked
	// between events.
	ctx := context.WithoutCancel(runCtx)
	evs, err := w.d.Journal.Unfinished(ctx)
	if err != nil {
		return 0, err
	}
	w.mu.Lock()
	w.pending = len(evs) // for status; the worker looks at every change
	w.mu.Unlock()
	var stale, resent []journal.Event
	batches := map[int64][]journal.Event{}
	var order []int64
	var wait time.Duration
	for _, e := range evs {
		if err := w.crashed(); err != nil {
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
			if err := w.finish(ctx, e); err != nil {
				if w.crashed() != nil {
					return 0, err
				}
				w.retrying(e.ID, err)
				wait = w.cfg.PrintRetry
			}
		case e.CatchUp && e.Kind == mqtt.KindPaymentPaid && e.Resent:
			resent = append(resent, e)
		case e.CatchUp && e.Kind == mqtt.KindPaymentPaid:
			stale = append(stale, e)
		default:
			if err := w.handle(ctx, e); err != nil {
				if w.crashed() != nil {
					return 0, err
				}
				w.retrying(e.ID, err)
				wait = w.cfg.PrintRetry
			}
		}
	}
	for _, b := range order {
		if err := w.reprintBatch(ctx, batches[b]); err != nil {
			if w.crashed() != nil {
				return 0, err
			}
			w.retrying(batches[b][0].ID, err)
			wait = w.cfg.PrintRetry
		}
	}
	if n := len(stale) + len(resent); n > 0 {
		w.mu.Lock()
		pending := w.syncPending
		idle := w.now().Sub(w.lastStale)
		w.mu.Unlock()
		if (pending > 0 && int64(n) >= pending) || idle >= w.cfg.CatchUpSettle {
			if err := w.catchUp(ctx, stale, resent); err != nil {
				if w.crashed() != nil {
					return 0, err
				}
				w.retrying("catch-up", err)
				return w.cfg.PrintRetry, nil
			}
			w.mu.Lock()
			w.syncPending = 0
			w.mu.Unlock()
		} else if d := w.cfg.CatchUpSettle - idle; wait == 0 || d < wait {
			wait = d
		}
	}
	if len(evs) > 0 {
		if left, err := w.d.Journal.Unfinished(ctx); err == nil {
			w.mu.Lock()
			w.pending = len(left)
			// A backlog the cloud was told about has cleared: say so
			// now rather than at the next periodic status.
			cleared := len(left) == 0 && w.lastStatus.Pending > 0
			w.mu.Unlock()
			if cleared {
				w.CheckNow()
			}
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
	return q.Contains(s.now())
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
func (w *worker) announceOnce(ctx context.Context, ids []string, u speech.Utterance, err error, summary bool) {
	all := len(ids) > 0
	for _, id := range ids {
		all = all && w.said[id]
		w.said[id] = true
	}
	if all {
		w.cfg.Log.Debug("stand: already announced in this run, not repeated", "ids", len(ids))
		return
	}
	how, at := w.announce(ctx, u, err)
	if summary && how == mqtt.AnnounceSpoken {
		how = mqtt.AnnounceSummary
	}
	w.noteAnnounced(how, at, ids...)
}

// retrying logs an event that could not be finished (a print that failed,
// a journal write the disk refused): the first time, whenever the error
// changes, and then at most once a minute while it lasts, so a full disk
// is said clearly without a line per retry.
func (w *worker) retrying(what string, err error) {
	now := w.now()
	quiet := err.Error() == w.lastRetryErr && now.Sub(w.lastRetryLog) < time.Minute
	if !quiet {
		w.lastRetryErr, w.lastRetryLog = err.Error(), now
		w.cfg.Log.Warn("stand: event not finished, will retry", "id", what, "err", err, "retry_in", w.cfg.PrintRetry)
	}
}

// forget drops the in-run memory of ids once their state is journaled.
func (w *worker) forget(m map[string]bool, ids ...string) {
	for _, id := range ids {
		delete(m, id)
	}
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
	at := s.now()
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
func (w *worker) handle(ctx context.Context, e journal.Event) error {
	m, err := e.Message()
	if err != nil {
		// Stored by this firmware, so this is a bug or a downgrade: keep
		// the row (nothing lost) but do not loop on it.
		w.cfg.Log.Error("stand: journaled event does not decode", "id", e.ID, "err", err)
		if err := w.d.Journal.MarkPrinting(ctx, 0, e.ID); err != nil {
			return err
		}
		return w.d.Journal.MarkDone(ctx, false, e.ID)
	}
	switch b := m.Body.(type) {
	case *mqtt.PaymentPaid:
		if !e.CatchUp {
			u, err := speechPayment(b.Channel, b.AmountFen, w.two())
			w.announceOnce(ctx, []string{e.ID}, u, err, false)
		}
	case *mqtt.PaymentRefunded:
		if !e.CatchUp {
			u, err := speech.Refund(b.RefundFen, w.two())
			w.announceOnce(ctx, []string{e.ID}, u, err, false)
		}
	}
	if err := w.hook(AfterAnnounce, e.ID); err != nil {
		return err
	}
	if err := w.d.Journal.MarkPrinting(ctx, 0, e.ID); err != nil {
		return err
	}
	w.forget(w.said, e.ID)
	if b, ok := m.Body.(*mqtt.PaymentPaid); ok && !e.CatchUp {
		if err := w.d.Face.Flash(b.AmountFen, displayChannel(b.Channel), b.PaidAt); err != nil {
			w.cfg.Log.Warn("stand: flash", "err", err)
		}
	}
	return w.printAndFinish(ctx, e, m, false)
}

func speechPayment(ch string, fen int64, two speech.TwoStyle) (speech.Utterance, error) {
	return speech.Payment(speechChannel(ch), fen, two)
}

// finish completes an event found in printing: after a crash its receipt
// may be on paper already, so it is printed again labelled 补打; after a
// print error in this run it is printed normally.
func (w *worker) finish(ctx context.Context, e journal.Event) error {
	m, err := e.Message()
	if err != nil {
		w.cfg.Log.Error("stand: journaled event does not decode", "id", e.ID, "err", err)
		return w.d.Journal.MarkDone(ctx, false, e.ID)
	}
	return w.printAndFinish(ctx, e, m, !w.failed[e.ID])
}

func (w *worker) printAndFinish(ctx context.Context, e journal.Event, m mqtt.Message, reprint bool) error {
	if m.Type == mqtt.KindStandCommand {
		// Commands are not repeated after a crash (a reboot would loop),
		// nor when the cloud resends one the stand lost.
		if !reprint && !e.Resent {
			w.command(ctx, m.Body.(*mqtt.StandCommand))
		}
		if err := w.d.Journal.MarkDone(ctx, false, e.ID); err != nil {
			return err
		}
		w.report(w.ledgerFor(e, mqtt.PrintNone, time.Time{}))
		return nil
	}
	// A resent event may be on paper already, from before the loss.
	reprint = reprint || e.Resent
	if !w.printed[e.ID] {
		paper := w.d.Printer.Paper()
		err := w.printEvent(ctx, m, reprint)
		w.paperChanged(paper, err)
		if err != nil {
			first := !w.failed[e.ID]
			w.failed[e.ID] = true
			w.cfg.Log.Warn("stand: print failed, will retry", "id", e.ID, "err", err)
			if first {
				w.report(w.ledgerFor(e, w.printFailure(), time.Time{}))
			}
			return err
		}
		delete(w.failed, e.ID)
		w.printed[e.ID] = true
		if err := w.hook(AfterPrint, e.ID); err != nil {
			return err
		}
	}
	if err := w.d.Journal.MarkDone(ctx, reprint, e.ID); err != nil {
		return err
	}
	w.forget(w.printed, e.ID)
	w.report(w.ledgerFor(e, w.printOutcome(m.Type, reprint), w.now()))
	return nil
}

// paperChanged tells the monitor when a print failed or changed what the
// printer says about its paper (a printer learns its paper state only at a
// job), so the status bar and the cloud hear it without a poll.
func (w *worker) paperChanged(before string, err error) {
	if err != nil || w.d.Printer.Paper() != before {
		w.CheckNow()
	}
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
func (w *worker) catchUp(ctx context.Context, stale, resent []journal.Event) error {
	var total int64
	var ids []string
	for _, e := range append(append([]journal.Event(nil), stale...), resent...) {
		total += e.Fen
		ids = append(ids, e.ID)
	}
	w.cfg.Log.Info("stand: catch-up", "count", len(ids), "fen", total, "resent", len(resent))
	u, err := speech.OfflineSummary(int64(len(ids)), total, w.two())
	w.announceOnce(ctx, ids, u, err, true)
	if err := w.hook(AfterAnnounce, ids...); err != nil {
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
		batch, err := w.d.Journal.NextBatch(ctx)
		if err != nil {
			return err
		}
		if err := w.d.Journal.MarkPrinting(ctx, batch, bids...); err != nil {
			return err
		}
		w.forget(w.said, bids...)
		if err := w.printBatch(ctx, batch, evs, evs[0].Resent); err != nil {
			return err
		}
	}
	return nil
}

// reprintBatch finishes a catch-up batch found in printing.
func (w *worker) reprintBatch(ctx context.Context, evs []journal.Event) error {
	return w.printBatch(ctx, evs[0].Batch, evs, !w.failed[evs[0].ID] || evs[0].Resent)
}

func (w *worker) printBatch(ctx context.Context, batch int64, evs []journal.Event, reprint bool) error {
	ids := make([]string, len(evs))
	for i, e := range evs {
		ids[i] = e.ID
	}
	if !w.printed[ids[0]] {
		paper := w.d.Printer.Paper()
		err := w.printCatchUp(ctx, evs, reprint)
		w.paperChanged(paper, err)
		if err != nil {
			first := !w.failed[ids[0]]
			for _, id := range ids {
				w.failed[id] = true
			}
			w.cfg.Log.Warn("stand: catch-up print failed, will retry", "batch", batch, "err", err)
			if first {
				how := w.printFailure()
				ls := make([]*mqtt.Ledger, len(evs))
				for i, e := range evs {
					ls[i] = w.ledgerFor(e, how, time.Time{})
				}
				w.report(ls...)
			}
			return err
		}
		for _, id := range ids {
			delete(w.failed, id)
			w.printed[id] = true
		}
		if err := w.hook(AfterPrint, ids...); err != nil {
			return err
		}
	}
	if err := w.d.Journal.MarkDone(ctx, reprint, ids...); err != nil {
		return err
	}
	w.forget(w.printed, ids...)
	how := w.printOutcome(mqtt.KindPaymentPaid, reprint)
	now := w.now()
	ls := make([]*mqtt.Ledger, len(evs))
	for i, e := range evs {
		ls[i] = w.ledgerFor(e, how, now)
	}
	w.report(ls...) // one save for the batch
	return nil
}
