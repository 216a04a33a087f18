package stand

import (
	"strings"
	"testing"
	"time"

	"github.com/qrstand/qrstand/firmware/internal/journal"
	"github.com/qrstand/qrstand/mqtt"
)

// TestPaperOutKeepsReceipt: with the paper out the payment is still
// announced and acked; its receipt waits in the journal and prints (not as
// 补打) once there is paper.
func TestPaperOutKeepsReceipt(t *testing.T) {
	r := newRig(t, false)
	run := r.start(opts{})
	cfg := r.cloud.Send(r.id, storeConfig(), 0)
	r.cloud.WaitFor("config ack", func() bool { return r.cloud.Acked(cfg.ID) })
	run.pr.SetPaper(mqtt.PaperOut)
	m := r.cloud.Send(r.id, paid("ORD-NOPAPER", 300, time.Now()), 1)
	r.cloud.WaitFor("announced", func() bool { return len(announcements(t, r.dir)) == 1 })
	r.cloud.WaitFor("status says paper out", func() bool {
		for _, u := range r.cloud.UpsOf(mqtt.KindStatus) {
			if u.Body.(*mqtt.Status).Paper == mqtt.PaperOut {
				return true
			}
		}
		return false
	})
	if e, err := run.j.Get(t.Context(), m.ID); err != nil || e.State != journal.Printing {
		t.Fatalf("journal state = %v %v, want printing while the paper is out", e.State, err)
	}
	if n := len(receipts(t, r.dir)); n != 0 {
		t.Fatalf("%d receipts with no paper", n)
	}
	run.pr.SetPaper(mqtt.PaperOK)
	r.cloud.WaitFor("printed after paper came back", func() bool {
		e, err := run.j.Get(t.Context(), m.ID)
		return err == nil && e.State == journal.Done
	})
	rs := receipts(t, r.dir)
	if len(rs) != 1 || countContaining(rs, ReprintLabel) != 0 || countContaining(rs, "ORD-NOPAPER") != 1 {
		t.Errorf("receipts = %q, want one plain ORD-NOPAPER", rs)
	}
}

// TestLocalHistory: the buttons' and commands' actions on local history.
func TestLocalHistory(t *testing.T) {
	r := newRig(t, false)
	run := r.start(opts{})
	cfg := r.cloud.Send(r.id, storeConfig(), 0)
	r.cloud.WaitFor("config ack", func() bool { return r.cloud.Acked(cfg.ID) })
	m1 := r.cloud.Send(r.id, paid("ORD-H1", 1000, time.Now()), 1)
	m2 := r.cloud.Send(r.id, paid("ORD-H2", 2050, time.Now()), 2)
	r.cloud.WaitFor("both done", func() bool {
		e, err := run.j.Get(t.Context(), m2.ID)
		return err == nil && e.State == journal.Done && len(receipts(t, r.dir)) == 2
	})
	ctx := t.Context()
	if err := run.s.RepeatLast(ctx); err != nil {
		t.Fatal(err)
	}
	if got := announcements(t, r.dir); got[len(got)-1] != "微信收款二十点五元" {
		t.Errorf("repeat last said %q", got[len(got)-1])
	}
	// Reprint by command (the first payment) and by button (the last one).
	c := r.cloud.Send(r.id, &mqtt.StandCommand{Command: mqtt.CommandReprint, EventID: m1.ID, By: "manager"}, 0)
	r.cloud.WaitFor("command ack", func() bool { return r.cloud.Acked(c.ID) })
	r.cloud.WaitFor("reprint", func() bool { return len(receipts(t, r.dir)) == 3 })
	if err := run.s.Reprint(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if err := run.s.PrintToday(ctx); err != nil {
		t.Fatal(err)
	}
	rs := receipts(t, r.dir)
	if len(rs) != 5 {
		t.Fatalf("%d receipts, want 5", len(rs))
	}
	if !strings.Contains(rs[2].text, "ORD-H1") || !strings.Contains(rs[2].text, ReprintLabel) {
		t.Errorf("command reprint:\n%s", rs[2].text)
	}
	if !strings.Contains(rs[3].text, "ORD-H2") || !strings.Contains(rs[3].text, ReprintLabel) {
		t.Errorf("button reprint:\n%s", rs[3].text)
	}
	if !strings.Contains(rs[4].text, "30.50") {
		t.Errorf("today's total lacks 30.50:\n%s", rs[4].text)
	}
	// The command is not run twice when redelivered.
	r.cloud.Publish(r.id, c)
	r.cloud.WaitFor("duplicate ack", func() bool { return len(r.cloud.AckResults(c.ID)) == 2 })
	r.settle(run, 3)
	if n := len(withoutMarker(receipts(t, r.dir))); n != 5 {
		t.Errorf("a redelivered reprint command printed again (%d receipts)", n)
	}
}

// TestShiftSlipAndRefund: shift.closed prints the handover slip; a refund
// is announced and printed.
func TestShiftSlipAndRefund(t *testing.T) {
	r := newRig(t, false)
	run := r.start(opts{})
	cfg := r.cloud.Send(r.id, storeConfig(), 0)
	r.cloud.WaitFor("config ack", func() bool { return r.cloud.Acked(cfg.ID) })
	now := time.Now().UTC()
	r.cloud.Send(r.id, &mqtt.PaymentRefunded{OrderNo: "ORD-RF", RefundNo: "RF1", Channel: mqtt.ChannelWeChat, AmountFen: 2000,
		RefundFen: 500, RefundedTotalFen: 500, RefundedAt: now, StoreID: "st_1", Operator: "店长"}, 1)
	r.cloud.Send(r.id, &mqtt.ShiftClosed{ShiftID: "sh1", StoreID: "st_1", Clerk: "小李", Start: now.Add(-8 * time.Hour), End: now,
		Count: 12, TotalFen: 34500, RefundCount: 1, RefundFen: 500, NetFen: 34000}, 2)
	r.cloud.WaitFor("two receipts", func() bool {
		un, err := run.j.Unfinished(t.Context())
		return err == nil && len(un) == 0 && len(receipts(t, r.dir)) == 2
	})
	rs := receipts(t, r.dir)
	if !strings.Contains(rs[0].text, "ORD-RF") || !strings.Contains(rs[0].text, "5.00") {
		t.Errorf("refund receipt:\n%s", rs[0].text)
	}
	if !strings.Contains(rs[1].text, "小李") || !strings.Contains(rs[1].text, "340.00") {
		t.Errorf("handover slip:\n%s", rs[1].text)
	}
	if got := announcements(t, r.dir); len(got) != 1 || got[0] != "退款五元" {
		t.Errorf("announcements = %q, want the refund only", got)
	}
}

// TestStoreQuietHours: the store's quiet hours from store.config silence
// announcements; the receipt still prints.
func TestStoreQuietHours(t *testing.T) {
	r := newRig(t, false)
	// 03:00 in Shanghai.
	now := func() time.Time { return time.Date(2026, 11, 25, 19, 0, 0, 0, time.UTC) }
	run := r.start(opts{now: now})
	cfg := storeConfig()
	cfg.Announce.QuietStart, cfg.Announce.QuietEnd = "22:00", "07:00"
	c := r.cloud.Send(r.id, cfg, 0)
	r.cloud.WaitFor("config ack", func() bool { return r.cloud.Acked(c.ID) })
	m := r.cloud.Send(r.id, paid("ORD-NIGHT", 100, now()), 1)
	r.cloud.WaitFor("done", func() bool {
		e, err := run.j.Get(t.Context(), m.ID)
		return err == nil && e.State == journal.Done
	})
	if n := len(receipts(t, r.dir)); n != 1 {
		t.Errorf("%d receipts, want 1", n)
	}
	if got := announcements(t, r.dir); len(got) != 0 {
		t.Errorf("announced during quiet hours: %q", got)
	}
}

// TestRebootCommand: reboot runs the injected function once, after the ack;
// a redelivered command does not run it again.
func TestRebootCommand(t *testing.T) {
	r := newRig(t, false)
	rebooted := make(chan struct{}, 10)
	r.start(opts{reboot: func() error { rebooted <- struct{}{}; return nil }})
	c := r.cloud.Send(r.id, &mqtt.StandCommand{Command: mqtt.CommandReboot, By: "provider"}, 0)
	r.cloud.WaitFor("ack", func() bool { return r.cloud.Acked(c.ID) })
	select {
	case <-rebooted:
	case <-time.After(10 * time.Second):
		t.Fatal("reboot not called")
	}
	r.cloud.Publish(r.id, c)
	r.cloud.WaitFor("duplicate ack", func() bool { return len(r.cloud.AckResults(c.ID)) == 2 })
	select {
	case <-rebooted:
		t.Error("a redelivered reboot command rebooted again")
	case <-time.After(2500 * time.Millisecond):
	}
}

// TestVolumeButtonSaysNoPayment: the volume button plays the sound check,
// which names no channel and no amount, so nobody takes it for money; the
// customer's remark is printed on the receipt.
func TestVolumeButtonSaysNoPayment(t *testing.T) {
	r := newRig(t, false)
	run := r.start(opts{})
	cfg := r.cloud.Send(r.id, storeConfig(), 0)
	r.cloud.WaitFor("config ack", func() bool { return r.cloud.Acked(cfg.ID) })
	p := paid("ORD-REMARK", 880, time.Now())
	p.Remark = "少放辣"
	m := r.cloud.Send(r.id, p, 1)
	r.cloud.WaitFor("printed", func() bool {
		e, err := run.j.Get(t.Context(), m.ID)
		return err == nil && e.State == journal.Done && len(receipts(t, r.dir)) == 1
	})
	if rs := receipts(t, r.dir); countContaining(rs, "少放辣") != 1 || countContaining(rs, "备注") != 1 {
		t.Errorf("receipt lacks the remark: %q", rs)
	}
	if err := run.s.VolumeStep(t.Context()); err != nil {
		t.Fatal(err)
	}
	got := announcements(t, r.dir)
	last := got[len(got)-1]
	if last != "一，二，三，四，五" {
		t.Errorf("volume button said %q", last)
	}
	for _, money := range []string{"收款", "元", "退款"} {
		if strings.Contains(last, money) {
			t.Errorf("volume button's phrase %q contains %q", last, money)
		}
	}
}

// TestUpdateCommand: an update command reaches the update hook once, after
// the ack, with its bundle; a redelivery does not start it again (proved by
// a later command handled after it).
func TestUpdateCommand(t *testing.T) {
	r := newRig(t, false)
	got := make(chan *mqtt.FirmwareUpdate, 10)
	r.start(opts{update: func(f *mqtt.FirmwareUpdate) { got <- f }})
	up := &mqtt.FirmwareUpdate{Version: "v1.4.0", URL: "https://cloud.example.com/firmware/x", SHA256: strings.Repeat("ab", 32), Size: 1234, Rollout: "ro_1"}
	c := r.cloud.Send(r.id, &mqtt.StandCommand{Command: mqtt.CommandUpdate, Update: up, By: "rollout ro_1"}, 0)
	r.cloud.WaitFor("ack", func() bool { return r.cloud.Acked(c.ID) })
	select {
	case f := <-got:
		if *f != *up {
			t.Errorf("hook got %+v, want %+v", f, up)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("update hook not called")
	}
	r.cloud.Publish(r.id, c)
	r.cloud.WaitFor("duplicate ack", func() bool { return len(r.cloud.AckResults(c.ID)) == 2 })
	marker := r.cloud.Send(r.id, &mqtt.StandCommand{Command: mqtt.CommandRefreshDisplay}, 0)
	r.cloud.WaitFor("marker ack", func() bool { return r.cloud.Acked(marker.ID) })
	select {
	case f := <-got:
		t.Errorf("a redelivered update command ran again: %+v", f)
	default:
	}
}
