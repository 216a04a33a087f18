package stand

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qrstand/qrstand/firmware/internal/journal"
	"github.com/qrstand/qrstand/mqtt"
)

func countContaining(rs []receipt, s string) int {
	n := 0
	for _, r := range rs {
		if strings.Contains(r.text, s) {
			n++
		}
	}
	return n
}

func TestPaymentAnnouncedPrintedAcked(t *testing.T) {
	r := newRig(t, false)
	run := r.start(opts{})
	cfg := r.cloud.Send(r.id, storeConfig(), 0)
	r.cloud.WaitFor("store.config ack", func() bool { return r.cloud.Acked(cfg.ID) })
	m := r.cloud.Send(r.id, paid("ORD1", 1250, time.Now()), 1)
	r.cloud.WaitFor("payment ack", func() bool { return r.cloud.Acked(m.ID) })
	r.cloud.WaitFor("done in journal", func() bool {
		e, err := run.j.Get(t.Context(), m.ID)
		return err == nil && e.State == journal.Done
	})
	if d := cmp.Diff(r.cloud.AckResults(m.ID), []string{mqtt.AckDone}); d != "" {
		t.Errorf("acks (-got +want):\n%s", d)
	}
	if d := cmp.Diff(announcements(t, r.dir), []string{"微信收款十二点五元"}); d != "" {
		t.Errorf("announcements (-got +want):\n%s", d)
	}
	rs := receipts(t, r.dir)
	if len(rs) != 1 || !strings.Contains(rs[0].text, "ORD1") || strings.Contains(rs[0].text, ReprintLabel) {
		t.Fatalf("receipts = %+v, want one for ORD1 without 补打", rs)
	}
	hellos := r.cloud.UpsOf(mqtt.KindHello)
	if len(hellos) == 0 || hellos[0].Body.(*mqtt.Hello).BootID != run.s.BootID() {
		t.Errorf("no hello with this boot id: %+v", hellos)
	}

	// The same envelope again (the cloud's retry): acked as duplicate, no
	// second announcement or receipt.
	r.cloud.Publish(r.id, m)
	r.cloud.WaitFor("duplicate ack", func() bool { return len(r.cloud.AckResults(m.ID)) == 2 })
	if d := cmp.Diff(r.cloud.AckResults(m.ID), []string{mqtt.AckDone, mqtt.AckDuplicate}); d != "" {
		t.Errorf("acks (-got +want):\n%s", d)
	}
	r.settle(run, 2)
	if n := len(withoutMarker(receipts(t, r.dir))); n != 1 {
		t.Errorf("%d receipts after a duplicate, want 1", n)
	}
	if n := len(saidWithoutMarker(announcements(t, r.dir))); n != 1 {
		t.Errorf("%d announcements after a duplicate, want 1", n)
	}
	if n := len(r.cloud.AckResults(m.ID)); n != 2 {
		t.Errorf("%d acks after a duplicate, want 2", n)
	}
}

// TestCrashBetweenJournalAndPrint kills the stand right after the journal
// insert (before the ack, before anything is said or printed), restarts it
// on the same data folder, and checks the payment is announced and printed
// exactly once, without 补打, and acked exactly once.
func TestCrashBetweenJournalAndPrint(t *testing.T) {
	for _, p := range []Point{AfterJournal, AfterAnnounce} {
		t.Run(string(p), func(t *testing.T) {
			r := newRig(t, true)
			var once sync.Once
			run := r.start(opts{hook: crashAt(p, &once)})
			cfg := r.cloud.Send(r.id, storeConfig(), 0)
			r.cloud.WaitFor("store.config ack", func() bool { return r.cloud.Acked(cfg.ID) })
			m := r.cloud.Send(r.id, paid("ORD-CRASH", 4550, time.Now()), 1)
			if err := run.waitExit(t); err != ErrCrash {
				t.Fatalf("first run ended with %v, want ErrCrash", err)
			}
			if n := len(receipts(t, r.dir)); n != 0 {
				t.Fatalf("%d receipts before the restart, want 0", n)
			}
			wantSaid := 0
			if p == AfterAnnounce {
				wantSaid = 1
			}
			if n := len(announcements(t, r.dir)); n != wantSaid {
				t.Fatalf("%d announcements before the restart, want %d", n, wantSaid)
			}

			run2 := r.start(opts{})
			r.cloud.WaitFor("done after restart", func() bool {
				e, err := run2.j.Get(t.Context(), m.ID)
				return err == nil && e.State == journal.Done
			})
			r.cloud.WaitFor("ack", func() bool { return r.cloud.Acked(m.ID) })
			r.settle(run2, 2) // after it, a wrong second ack or print would show
			rs := withoutMarker(receipts(t, r.dir))
			if len(rs) != 1 || countContaining(rs, "ORD-CRASH") != 1 || countContaining(rs, ReprintLabel) != 0 {
				t.Errorf("receipts = %q, want one ORD-CRASH without 补打", rs)
			}
			// A crash after the announcement (and before "printing") is the
			// documented one-commit window: it is announced again.
			wantSaid = 1
			if p == AfterAnnounce {
				wantSaid = 2
			}
			if got := saidWithoutMarker(announcements(t, r.dir)); len(got) != wantSaid {
				t.Errorf("announcements = %q, want %d", got, wantSaid)
			}
			if got := r.cloud.AckResults(m.ID); len(got) != 1 {
				t.Errorf("acks for the payment = %q, want exactly one", got)
			}
		})
	}
}

// TestCrashBetweenPrintAndDone kills the stand after the receipt came out
// and before "done" was written: on restart it is reprinted labelled 补打,
// not announced again, and nothing else is repeated.
func TestCrashBetweenPrintAndDone(t *testing.T) {
	r := newRig(t, true)
	var once sync.Once
	run := r.start(opts{hook: crashAt(AfterPrint, &once)})
	cfg := r.cloud.Send(r.id, storeConfig(), 0)
	r.cloud.WaitFor("store.config ack", func() bool { return r.cloud.Acked(cfg.ID) })
	m := r.cloud.Send(r.id, paid("ORD-PAPER", 880, time.Now()), 1)
	if err := run.waitExit(t); err != ErrCrash {
		t.Fatalf("first run ended with %v, want ErrCrash", err)
	}
	if !r.cloud.Acked(m.ID) {
		r.cloud.WaitFor("ack before the crash", func() bool { return r.cloud.Acked(m.ID) })
	}
	rs := receipts(t, r.dir)
	if len(rs) != 1 || countContaining(rs, ReprintLabel) != 0 {
		t.Fatalf("receipts before restart = %q, want one plain receipt", rs)
	}

	run2 := r.start(opts{})
	r.cloud.WaitFor("done after restart", func() bool {
		e, err := run2.j.Get(t.Context(), m.ID)
		return err == nil && e.State == journal.Done && e.Reprint
	})
	// A later payment is handled normally.
	m2 := r.cloud.Send(r.id, paid("ORD-NEXT", 100, time.Now()), 2)
	r.cloud.WaitFor("second payment done", func() bool {
		e, err := run2.j.Get(t.Context(), m2.ID)
		return err == nil && e.State == journal.Done
	})
	r.settle(run2, 3)
	rs = withoutMarker(receipts(t, r.dir))
	var got []string
	for _, rc := range rs {
		line := "plain"
		if strings.Contains(rc.text, ReprintLabel) {
			line = "补打"
		}
		for _, o := range []string{"ORD-PAPER", "ORD-NEXT"} {
			if strings.Contains(rc.text, o) {
				line = o + " " + line
			}
		}
		got = append(got, line)
	}
	if d := cmp.Diff(got, []string{"ORD-PAPER plain", "ORD-PAPER 补打", "ORD-NEXT plain"}); d != "" {
		t.Errorf("receipts (-got +want):\n%s", d)
	}
	if d := cmp.Diff(saidWithoutMarker(announcements(t, r.dir)), []string{"微信收款八点八元", "微信收款一元"}); d != "" {
		t.Errorf("announcements (-got +want):\n%s", d)
	}
	for _, id := range []string{m.ID, m2.ID} {
		if got := r.cloud.AckResults(id); len(got) != 1 || got[0] != mqtt.AckDone {
			t.Errorf("acks for %s = %q, want one done", id, got)
		}
	}
}

// TestBrokerRestart restarts the persistent broker twice: once with the
// stand connected, once with events queued for a stand that is away.
func TestBrokerRestart(t *testing.T) {
	r := newRig(t, true)
	run := r.start(opts{})
	cfg := r.cloud.Send(r.id, storeConfig(), 0)
	r.cloud.WaitFor("store.config ack", func() bool { return r.cloud.Acked(cfg.ID) })

	r.b.Restart()
	r.cloud.WaitSubscribed(2)
	m1 := r.cloud.Send(r.id, paid("ORD-R1", 100, time.Now()), 1)
	r.cloud.WaitFor("ack after broker restart", func() bool { return r.cloud.Acked(m1.ID) })

	run.stop()
	var queued []mqtt.Message
	for i := 0; i < 3; i++ {
		queued = append(queued, r.cloud.Send(r.id, paid(fmt.Sprintf("ORD-Q%d", i), int64(200+i), time.Now()), int64(2+i)))
	}
	r.b.Restart()
	r.cloud.WaitSubscribed(3)
	run2 := r.start(opts{})
	for _, m := range queued {
		r.cloud.WaitFor("queued event acked", func() bool { return r.cloud.Acked(m.ID) })
	}
	r.cloud.WaitFor("all done", func() bool {
		un, err := run2.j.Unfinished(t.Context())
		return err == nil && len(un) == 0
	})
	r.settle(run2, 5)
	for _, m := range append(queued, m1) {
		if got := r.cloud.AckResults(m.ID); len(got) != 1 {
			t.Errorf("acks for %s = %q, want exactly one", m.Body.(*mqtt.PaymentPaid).OrderNo, got)
		}
	}
	rs := withoutMarker(receipts(t, r.dir))
	for _, o := range []string{"ORD-R1", "ORD-Q0", "ORD-Q1", "ORD-Q2"} {
		if n := countContaining(rs, o); n != 1 {
			t.Errorf("%s printed %d times, want 1", o, n)
		}
	}
	if n := len(saidWithoutMarker(announcements(t, r.dir))); n != 4 {
		t.Errorf("%d announcements, want 4", n)
	}
}
