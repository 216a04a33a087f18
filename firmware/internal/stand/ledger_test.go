package stand

import (
	"errors"
	"testing"
	"time"

	"github.com/qrstand/qrstand/firmware/internal/journal"
	"github.com/qrstand/qrstand/mqtt"
)

// ledgerOf returns the latest ledger report the cloud got for ref.
func ledgerOf(r *rig, ref string) *mqtt.Ledger {
	var last *mqtt.Ledger
	for _, m := range r.cloud.UpsOf(mqtt.KindLedger) {
		if l := m.Body.(*mqtt.Ledger); l.Ref == ref {
			last = l
		}
	}
	return last
}

// TestLedgerLive: a live payment is reported as spoken and printed, with
// journaled ≤ announced ≤ printed; with paper out the report says so
// first, then printed once paper is back; with announcements off, muted.
func TestLedgerLive(t *testing.T) {
	r := newRig(t, false)
	run := r.start(opts{})
	cfg := r.cloud.Send(r.id, storeConfig(), 0)
	r.cloud.WaitFor("store.config ack", func() bool { return r.cloud.Acked(cfg.ID) })

	m := r.cloud.Send(r.id, paid("LED0001", 1250, time.Now()), 1)
	r.cloud.WaitFor("ledger of LED0001", func() bool { return ledgerOf(r, m.ID) != nil })
	l := ledgerOf(r, m.ID)
	if l.Event != mqtt.KindPaymentPaid || l.OrderNo != "LED0001" || l.Announce != mqtt.AnnounceSpoken || l.Print != mqtt.PrintPrinted || l.CatchUp {
		t.Fatalf("ledger = %+v", l)
	}
	if l.AnnouncedAt.Before(l.JournaledAt) || l.PrintedAt.Before(l.AnnouncedAt) {
		t.Errorf("times out of order: journaled %v announced %v printed %v", l.JournaledAt, l.AnnouncedAt, l.PrintedAt)
	}

	run.pr.SetPaper(mqtt.PaperOut)
	m2 := r.cloud.Send(r.id, paid("LED0002", 300, time.Now()), 2)
	r.cloud.WaitFor("paper out report", func() bool { l := ledgerOf(r, m2.ID); return l != nil && l.Print == mqtt.PrintPaperOut })
	if l := ledgerOf(r, m2.ID); l.Announce != mqtt.AnnounceSpoken || !l.PrintedAt.IsZero() {
		t.Fatalf("paper-out ledger = %+v", l)
	}
	run.pr.SetPaper(mqtt.PaperOK)
	r.cloud.WaitFor("printed after paper", func() bool { l := ledgerOf(r, m2.ID); return l != nil && l.Print == mqtt.PrintPrinted })
	if l := ledgerOf(r, m2.ID); l.Announce != mqtt.AnnounceSpoken || l.AnnouncedAt.IsZero() {
		t.Errorf("announcement lost across the paper wait: %+v", l)
	}

	muted := storeConfig()
	muted.Version, muted.Announce.Enabled, muted.Print.Enabled = 2, false, false
	c2 := r.cloud.Send(r.id, muted, 0)
	r.cloud.WaitFor("muted config ack", func() bool { return r.cloud.Acked(c2.ID) })
	m3 := r.cloud.Send(r.id, paid("LED0003", 100, time.Now()), 3)
	r.cloud.WaitFor("muted report", func() bool { return ledgerOf(r, m3.ID) != nil })
	if l := ledgerOf(r, m3.ID); l.Announce != mqtt.AnnounceMuted || l.Print != mqtt.PrintOff {
		t.Errorf("muted ledger = %+v", l)
	}
}

// TestLedgerCatchUp: payments that arrive late are reported as announced
// in the summary and printed on the catch-up list.
func TestLedgerCatchUp(t *testing.T) {
	r := newRig(t, true)
	run := r.start(opts{})
	cfg := r.cloud.Send(r.id, storeConfig(), 0)
	r.cloud.WaitFor("store.config ack", func() bool { return r.cloud.Acked(cfg.ID) })
	run.stop()
	old := time.Now().Add(-10 * time.Minute)
	a := r.cloud.Send(r.id, paid("LATE01", 500, old), 1)
	b := r.cloud.Send(r.id, paid("LATE02", 700, old.Add(time.Second)), 2)
	r.start(opts{settle: 200 * time.Millisecond})
	r.cloud.WaitFor("both reported", func() bool { return ledgerOf(r, a.ID) != nil && ledgerOf(r, b.ID) != nil })
	for _, m := range []mqtt.Message{a, b} {
		l := ledgerOf(r, m.ID)
		if !l.CatchUp || l.Announce != mqtt.AnnounceSummary || l.AnnouncedAt.IsZero() || l.Print != mqtt.PrintPrinted {
			t.Errorf("catch-up ledger = %+v", l)
		}
	}
}

// TestStatusFields: status carries the printer model and the journal's
// unfinished count; CheckNow reports a paper change at once.
func TestStatusFields(t *testing.T) {
	r := newRig(t, false)
	run := r.start(opts{})
	r.cloud.WaitFor("a status", func() bool { return len(r.cloud.UpsOf(mqtt.KindStatus)) > 0 })
	st := r.cloud.UpsOf(mqtt.KindStatus)[0].Body.(*mqtt.Status)
	if st.PrinterModel != "58mm" || st.Pending != 0 {
		t.Errorf("status = %+v", st)
	}
	// A payment waiting for paper counts as pending.
	run.pr.SetPaper(mqtt.PaperOut)
	r.cloud.Send(r.id, paid("PEND01", 100, time.Now()), 1)
	run.s.CheckNow()
	r.cloud.WaitFor("paper out status", func() bool {
		ups := r.cloud.UpsOf(mqtt.KindStatus)
		st := ups[len(ups)-1].Body.(*mqtt.Status)
		return st.Paper == mqtt.PaperOut && st.Pending == 1
	})
	run.pr.SetPaper(mqtt.PaperOK)
	run.s.CheckNow()
	r.cloud.WaitFor("pending back to 0", func() bool {
		ups := r.cloud.UpsOf(mqtt.KindStatus)
		st := ups[len(ups)-1].Body.(*mqtt.Status)
		return st.Paper == mqtt.PaperOK && st.Pending == 0
	})
}

// TestLedgerSurvivesRestart: a report still queued when the stand stops is
// kept in the journal and sent after the next start.
func TestLedgerSurvivesRestart(t *testing.T) {
	r := newRig(t, true)
	run := r.start(opts{})
	at := time.Now().UTC()
	l := &mqtt.Ledger{Ref: mqtt.NewID(at), Event: mqtt.KindPaymentPaid, OrderNo: "KEPT01", JournaledAt: at,
		Announce: mqtt.AnnounceSpoken, AnnouncedAt: at, Print: mqtt.PrintPrinted, PrintedAt: at}
	// Queued as if the broker had not taken it yet (the sender is not woken).
	run.s.reports.mu.Lock()
	run.s.reports.q = append(run.s.reports.q, l)
	run.s.reports.mu.Unlock()
	run.s.saveLedger(t.Context())
	run.stop()
	if ledgerOf(r, l.Ref) != nil {
		t.Fatal("report sent before the restart")
	}
	run2 := r.start(opts{})
	r.cloud.WaitFor("the kept report", func() bool { return ledgerOf(r, l.Ref) != nil })
	r.cloud.WaitFor("queue saved empty", func() bool {
		_, err := run2.j.Setting(t.Context(), keyLedgerQueue)
		return errors.Is(err, journal.ErrNotFound)
	})
}
