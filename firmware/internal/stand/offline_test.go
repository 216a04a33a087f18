package stand

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qrstand/qrstand/firmware/internal/speech"
	"github.com/qrstand/qrstand/mqtt"
)

// TestOffline500 queues 500 payments for a stand that is away, all older
// than the announce window when it comes back: one summary announcement,
// one catch-up list, every event acked exactly once.
func TestOffline500(t *testing.T) {
	const n = 500
	r := newRig(t, true)
	run := r.start(opts{})
	cfg := r.cloud.Send(r.id, storeConfig(), 0)
	r.cloud.WaitFor("store.config ack", func() bool { return r.cloud.Acked(cfg.ID) })
	run.stop()

	paidAt := time.Now().Add(-30 * time.Minute)
	var total int64
	var sent []mqtt.Message
	for i := 0; i < n; i++ {
		fen := int64(100 + i)
		total += fen
		sent = append(sent, r.cloud.Send(r.id, paid(fmt.Sprintf("OFF%04d", i), fen, paidAt.Add(time.Duration(i)*time.Second)), int64(i+1)))
	}
	// The cloud answers the stand's hello with sync, as the real one does
	// (here after the queued events, which the broker flushes first).
	r.cloud.OnUp(func(m mqtt.Message) {
		if m.Type == mqtt.KindHello {
			go r.cloud.Send(r.id, &mqtt.Sync{Pending: n, ThroughSeq: n}, 0)
		}
	})

	restarted := time.Now()
	run2 := r.start(opts{settle: 5 * time.Second})
	r.cloud.WaitForWithin("all done", 3*time.Minute, func() bool {
		un, err := run2.j.Unfinished(t.Context())
		return err == nil && len(un) == 0 && len(receipts(t, r.dir)) > 0
	})
	r.cloud.WaitForWithin("every ack", time.Minute, func() bool {
		for _, m := range sent {
			if !r.cloud.Acked(m.ID) {
				return false
			}
		}
		return true
	})
	t.Logf("500 events journaled, acked and summarised %v after the restart", time.Since(restarted))
	r.settle(run2, int64(n+1))
	for _, m := range sent {
		if got := r.cloud.AckResults(m.ID); len(got) != 1 || got[0] != mqtt.AckDone || r.cloud.RawAcks(m.ID) != 1 {
			t.Fatalf("acks for %s = %q (%d messages), want one done", m.Body.(*mqtt.PaymentPaid).OrderNo, got, r.cloud.RawAcks(m.ID))
		}
	}
	want := fmt.Sprintf("离线期间收款五百笔，共%s元", yuanText(t, total))
	if d := cmp.Diff(saidWithoutMarker(announcements(t, r.dir)), []string{want}); d != "" {
		t.Errorf("announcements (-got +want):\n%s", d)
	}
	rs := withoutMarker(receipts(t, r.dir))
	if len(rs) != 1 {
		t.Fatalf("%d receipts, want one catch-up list", len(rs))
	}
	for _, m := range sent {
		if o := m.Body.(*mqtt.PaymentPaid).OrderNo; !strings.Contains(rs[0].text, o) {
			t.Errorf("catch-up list misses %s", o)
			break
		}
	}
	if !strings.Contains(rs[0].text, fmt.Sprintf("%d 笔", n)) {
		t.Errorf("catch-up list has no count line:\n%.400s", rs[0].text)
	}
}

func yuanText(t *testing.T, fen int64) string {
	t.Helper()
	s, err := speech.AmountText(fen, speech.TwoEr)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(s, "元")
}

// TestCatchUpCrash: a crash after the catch-up list came out and before
// "done" reprints the list labelled 补打 and says nothing again.
func TestCatchUpCrash(t *testing.T) {
	r := newRig(t, true)
	run := r.start(opts{})
	cfg := r.cloud.Send(r.id, storeConfig(), 0)
	r.cloud.WaitFor("store.config ack", func() bool { return r.cloud.Acked(cfg.ID) })
	run.stop()
	old := time.Now().Add(-time.Hour)
	var sent []mqtt.Message
	for i := 0; i < 5; i++ {
		sent = append(sent, r.cloud.Send(r.id, paid(fmt.Sprintf("CU%d", i), 1000, old), int64(i+1)))
	}
	var once sync.Once
	run2 := r.start(opts{hook: crashAt(AfterPrint, &once), settle: 300 * time.Millisecond})
	if err := run2.waitExit(t); err != ErrCrash {
		t.Fatalf("first run = %v, want ErrCrash", err)
	}
	run3 := r.start(opts{settle: 300 * time.Millisecond})
	r.cloud.WaitFor("all done", func() bool {
		un, err := run3.j.Unfinished(t.Context())
		return err == nil && len(un) == 0 && len(receipts(t, r.dir)) == 2
	})
	r.settle(run3, int64(len(sent)+1))
	rs := withoutMarker(receipts(t, r.dir))
	if len(rs) != 2 || strings.Contains(rs[0].text, ReprintLabel) || !strings.Contains(rs[1].text, ReprintLabel) {
		t.Fatalf("receipts = %q, want the list, then the list labelled 补打", rs)
	}
	for _, m := range sent {
		o := m.Body.(*mqtt.PaymentPaid).OrderNo
		if !strings.Contains(rs[0].text, o) || !strings.Contains(rs[1].text, o) {
			t.Errorf("%s missing from a list", o)
		}
		if got := r.cloud.AckResults(m.ID); len(got) != 1 {
			t.Errorf("acks for %s = %q, want one", o, got)
		}
	}
	if d := cmp.Diff(saidWithoutMarker(announcements(t, r.dir)), []string{"离线期间收款五笔，共五十元"}); d != "" {
		t.Errorf("announcements (-got +want):\n%s", d)
	}
}
