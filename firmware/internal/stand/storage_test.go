package stand

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qrstand/qrstand/firmware/internal/journal"
	"github.com/qrstand/qrstand/mqtt"
)

// logBook records log lines so a test can wait for one.
type logBook struct {
	mu    sync.Mutex
	lines []string
}

func (b *logBook) Enabled(context.Context, slog.Level) bool { return true }
func (b *logBook) WithGroup(string) slog.Handler            { return b }
func (b *logBook) WithAttrs(as []slog.Attr) slog.Handler {
	return &logBook2{b: b, attrs: as}
}
func (b *logBook) Handle(_ context.Context, r slog.Record) error { return b.add(nil, r) }

type logBook2 struct {
	b     *logBook
	attrs []slog.Attr
}

func (h *logBook2) Enabled(context.Context, slog.Level) bool { return true }
func (h *logBook2) WithGroup(string) slog.Handler            { return h }
func (h *logBook2) WithAttrs(as []slog.Attr) slog.Handler {
	return &logBook2{b: h.b, attrs: append(append([]slog.Attr(nil), h.attrs...), as...)}
}
func (h *logBook2) Handle(_ context.Context, r slog.Record) error { return h.b.add(h.attrs, r) }

func (b *logBook) add(pre []slog.Attr, r slog.Record) error {
	var sb strings.Builder
	sb.WriteString(r.Level.String() + " " + r.Message)
	for _, a := range pre {
		sb.WriteString(" " + a.String())
	}
	r.Attrs(func(a slog.Attr) bool { sb.WriteString(" " + a.String()); return true })
	b.mu.Lock()
	b.lines = append(b.lines, sb.String())
	b.mu.Unlock()
	return nil
}

// has reports whether a line contains every one of parts.
func (b *logBook) has(parts ...string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
next:
	for _, l := range b.lines {
		for _, p := range parts {
			if !strings.Contains(l, p) {
				continue next
			}
		}
		return true
	}
	return false
}

func newLog() (*logBook, *slog.Logger) {
	b := &logBook{}
	return b, slog.New(b)
}

// smallDisk mounts a tmpfs of the given size (root only).
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput()
	if err != nil {
		msg := fmt.Sprintf("a full disk needs a tmpfs mount, which is not permitted here (%v: %s); run as root (mqtt/pahostore's tests cover the store with injected errors)",
			err, strings.TrimSpace(string(out)))
		if os.Getenv("CI") == "true" && os.Geteuid() == 0 {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

// fill writes a filler file until the file system is full.
func fill(t testing.TB, dir string) string {
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil && !errors.Is(err, syscall.ENOSPC) {
		t.Error(err)
		return path
	}
	if f == nil {
		return path
	}
	defer f.Close()
	chunk := make([]byte, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Error(err)
			}
			return path
		}
	}
}

func state(t *testing.T, j *journal.Journal, id string) journal.State {
	t.Helper()
	e, err := j.Get(t.Context(), id)
	if err != nil {
		return ""
	}
	return e.State
}

// TestFullDiskMidRun puts the journal and the MQTT store on a small real
// file system and fills it while payments arrive: one right after it was
// announced (its "printing" write fails), one before it can be journaled.
// Nothing panics, nothing is said or printed twice, the unjournaled one is
// not acked; when space returns and the cloud resends, every payment is
// journaled, acked, announced and printed exactly once, and the journal
// opens sound afterwards.
func TestFullDiskMidRun(t *testing.T) {
	disk := smallDisk(t, "1m")
	r := newRig(t, true)
	book, log := newLog()
	now := time.Now()
	p1 := mqtt.New(paid("FULL1", 1250, now), now)
	p1.Seq = 1
	p2 := mqtt.New(paid("FULL2", 800, now), now)
	p2.Seq = 2
	p3 := mqtt.New(paid("FULL3", 300, now), now)
	p3.Seq = 3
	var filler string
	var once sync.Once
	hook := func(p Point, ids []string) error {
		if p == AfterAnnounce && len(ids) == 1 && ids[0] == p2.ID {
			once.Do(func() { filler = fill(t, disk) })
		}
		return nil
	}
	run := r.start(opts{data: disk, log: log, hook: hook})
	cfg := r.cloud.Send(r.id, storeConfig(), 0)
	r.cloud.WaitFor("store.config ack", func() bool { return r.cloud.Acked(cfg.ID) })

	r.cloud.Publish(r.id, p1)
	r.cloud.WaitFor("P1 done", func() bool { return state(t, run.j, p1.ID) == journal.Done && r.cloud.Acked(p1.ID) })

	// P2 is journaled and acked; the disk fills right after its
	// announcement, so the worker cannot record that it was said.
	r.cloud.Publish(r.id, p2)
	r.cloud.WaitFor("P2 acked", func() bool { return r.cloud.Acked(p2.ID) })
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("log:\n%s", strings.Join(book.lines, "\n"))
		}
	})
	r.cloud.WaitFor("a journal write refused by the full disk", func() bool {
		return book.has("WARN stand: event not finished, will retry", p2.ID, "full")
	})
	// P3 arrives on the full disk: it cannot be journaled, so it is not
	// acked (the handler failure is logged before any ack could be sent).
	r.cloud.Publish(r.id, p3)
	r.cloud.WaitFor("P3 refused", func() bool { return book.has("message left unacknowledged", p3.ID) })
	if r.cloud.Acked(p3.ID) {
		t.Fatal("P3 acked although the journal could not hold it")
	}
	// The worker retries P2 every 100 ms while the disk is full; after a
	// few retries nothing has been said again.
	r.cloud.WaitFor("retries that do not repeat the announcement", func() bool {
		book.mu.Lock()
		defer book.mu.Unlock()
		n := 0
		for _, l := range book.lines {
			if strings.Contains(l, "already announced in this run") {
				n++
			}
		}
		return n >= 3
	})
	if got := announcements(t, r.dir); len(got) != 2 {
		t.Fatalf("announcements while the disk is full = %q, want P1 and P2 once each", got)
	}
	select {
	case err := <-run.done:
		t.Fatalf("stand stopped on a full disk: %v", err)
	default:
	}

	// Space returns; the cloud's outbox resends what was not acked.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	r.cloud.Publish(r.id, p3)
	r.cloud.WaitFor("every payment done", func() bool {
		return state(t, run.j, p2.ID) == journal.Done && state(t, run.j, p3.ID) == journal.Done && r.cloud.Acked(p3.ID)
	})
	for _, m := range []mqtt.Message{p1, p2, p3} {
		if got := r.cloud.AckResults(m.ID); len(got) != 1 || got[0] != mqtt.AckDone {
			t.Errorf("acks for %s = %q, want one done", m.Body.(*mqtt.PaymentPaid).OrderNo, got)
		}
	}
	want := []string{"微信收款十二点五元", "微信收款八元", "微信收款三元"}
	if d := cmp.Diff(announcements(t, r.dir), want); d != "" {
		t.Errorf("announcements (-got +want):\n%s", d)
	}
	rs := receipts(t, r.dir)
	if len(rs) != 3 {
		t.Fatalf("%d receipts, want 3", len(rs))
	}
	for i, o := range []string{"FULL1", "FULL2", "FULL3"} {
		if !strings.Contains(rs[i].text, o) || strings.Contains(rs[i].text, ReprintLabel) {
			t.Errorf("receipt %d = %.200q, want %s, not 补打", i, rs[i].text, o)
		}
	}
	run.stop()

	// The journal is intact: it opens sound, with nothing left to do.
	run2 := r.start(opts{data: disk})
	if ma := run2.j.MovedAside(); ma != nil {
		t.Fatalf("journal damaged by the full disk: %s", ma)
	}
	if un, err := run2.j.Unfinished(t.Context()); err != nil || len(un) != 0 {
		t.Fatalf("unfinished after restart = %v %v", un, err)
	}
	if seq, _ := run2.j.LastSeq(t.Context()); seq != 3 {
		t.Errorf("LastSeq = %d, want 3", seq)
	}
}

// resendOnHello makes the fake cloud do what cloud/internal/outbox does
// when a hello's last_seq is below what the stand acked: a sync, then the
// acked events after it again, marked resent.
func resendOnHello(r *rig, delivered []mqtt.Message) *sync.WaitGroup {
	var wg sync.WaitGroup
	wg.Add(1)
	var once sync.Once
	r.cloud.OnUp(func(m mqtt.Message) {
		h, ok := m.Body.(*mqtt.Hello)
		if !ok {
			return
		}
		var again []mqtt.Message
		for _, d := range delivered {
			if d.Seq > h.LastSeq {
				d.Resent = true
				again = append(again, d)
			}
		}
		if len(again) == 0 {
			return
		}
		once.Do(func() {
			go func() {
				defer wg.Done()
				r.cloud.Send(r.id, &mqtt.Sync{Pending: int64(len(again)), ThroughSeq: again[len(again)-1].Seq}, 0)
				for _, m := range again {
					r.cloud.Publish(r.id, m)
				}
			}()
		})
	})
	return &wg
}

// deliver sends live payments and waits until each is done and acked.
func deliver(t *testing.T, r *rig, run *running, from, n int) []mqtt.Message {
	t.Helper()
	var out []mqtt.Message
	for i := from; i < from+n; i++ {
		m := mqtt.New(paid(fmt.Sprintf("T%02d", i), int64(100*i), time.Now()), time.Now())
		m.Seq = int64(i)
		r.cloud.Publish(r.id, m)
		out = append(out, m)
	}
	r.cloud.WaitFor("delivered", func() bool {
		for _, m := range out {
			if state(t, run.j, m.ID) != journal.Done || !r.cloud.Acked(m.ID) {
				return false
			}
		}
		return true
	})
	return out
}

// checkCatchUp: the resent payments came back as one labelled catch-up —
// one summary, one list titled 补打 with each of them — and each was acked
// done once more.
func checkCatchUp(t *testing.T, r *rig, run *running, resent []mqtt.Message, announcedBefore, receiptsBefore int) {
	t.Helper()
	r.cloud.WaitFor("resent events done", func() bool {
		for _, m := range resent {
			if state(t, run.j, m.ID) != journal.Done || len(r.cloud.AckResults(m.ID)) < 2 {
				return false
			}
		}
		return len(receipts(t, r.dir)) > receiptsBefore
	})
	var total int64
	for _, m := range resent {
		total += m.Body.(*mqtt.PaymentPaid).AmountFen
		if got := r.cloud.AckResults(m.ID); len(got) != 2 || got[1] != mqtt.AckDone {
			t.Errorf("acks for %s = %q, want done then done (a fresh journal)", m.ID, got)
		}
		e, err := run.j.Get(t.Context(), m.ID)
		if err != nil || !e.Resent || !e.Reprint {
			t.Errorf("journal %s = %+v %v, want resent, printed as 补打", m.ID, e, err)
		}
	}
	ann := announcements(t, r.dir)[announcedBefore:]
	want := fmt.Sprintf("离线期间收款%s笔，共%s元", countText(t, len(resent)), yuanText(t, total))
	if d := cmp.Diff(ann, []string{want}); d != "" {
		t.Errorf("announcements after the loss (-got +want):\n%s", d)
	}
	rs := receipts(t, r.dir)[receiptsBefore:]
	if len(rs) != 1 {
		t.Fatalf("%d receipts after the loss, want one catch-up list", len(rs))
	}
	if !strings.Contains(rs[0].text, ReprintLabel) {
		t.Errorf("catch-up list not labelled 补打:\n%s", rs[0].text)
	}
	for _, m := range resent {
		if o := m.Body.(*mqtt.PaymentPaid).OrderNo; !strings.Contains(rs[0].text, o) {
			t.Errorf("catch-up list misses %s", o)
		}
	}
}

func countText(t *testing.T, n int) string {
	t.Helper()
	s := yuanText(t, int64(n)*100)
	return strings.Replace(s, "二", "两", 1)
}

// TestLostTailResent: the journal loses its last events (an old copy
// comes back, as after an SD card swap from a backup); the stand's hello
// reports the lower last_seq, the cloud resends what it had delivered
// after it, and the stand prints them as one catch-up labelled 补打 with
// one summary — never announced one by one again.
func TestLostTailResent(t *testing.T) {
	r := newRig(t, true)
	run := r.start(opts{})
	cfg := r.cloud.Send(r.id, storeConfig(), 0)
	r.cloud.WaitFor("store.config ack", func() bool { return r.cloud.Acked(cfg.ID) })
	first := deliver(t, r, run, 1, 2)
	run.stop()
	path := filepath.Join(r.dir, "journal.db")
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	run2 := r.start(opts{})
	tail := deliver(t, r, run2, 3, 3)
	run2.stop()
	// The tail is lost: the journal as it was after the first two.
	for _, ext := range []string{"-wal", "-shm"} {
		os.Remove(path + ext)
	}
	if err := os.WriteFile(path, old, 0o600); err != nil {
		t.Fatal(err)
	}
	nAnn, nRec := len(announcements(t, r.dir)), len(receipts(t, r.dir))
	if nAnn != 5 || nRec != 5 {
		t.Fatalf("before the loss: %d announcements, %d receipts, want 5 each", nAnn, nRec)
	}
	sent := resendOnHello(r, append(first, tail...))
	run3 := r.start(opts{})
	sent.Wait()
	checkCatchUp(t, r, run3, tail, nAnn, nRec)
	for _, m := range first {
		if got := r.cloud.AckResults(m.ID); len(got) != 1 {
			t.Errorf("%s (still in the journal) acked %d times, want once", m.ID, len(got))
		}
	}
	if seq, _ := run3.j.LastSeq(t.Context()); seq != 5 {
		t.Errorf("LastSeq after the resend = %d, want 5", seq)
	}
}

// TestDamagedJournal: a journal damaged on disk is moved aside with a
// clear message, a fresh one starts, and the cloud's resend brings every
// delivered event back as a labelled catch-up.
func TestDamagedJournal(t *testing.T) {
	r := newRig(t, true)
	run := r.start(opts{})
	cfg := r.cloud.Send(r.id, storeConfig(), 0)
	r.cloud.WaitFor("store.config ack", func() bool { return r.cloud.Acked(cfg.ID) })
	delivered := deliver(t, r, run, 1, 3)
	run.stop()
	path := filepath.Join(r.dir, "journal.db")
	if err := os.WriteFile(path, []byte(strings.Repeat("damaged ", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	nAnn, nRec := len(announcements(t, r.dir)), len(receipts(t, r.dir))
	sent := resendOnHello(r, delivered)
	book, log := newLog()
	run2 := r.start(opts{log: log})
	if !book.has("ERROR", "journal was damaged", "moved_to="+path+".damaged-", "reason=file is not a database") {
		t.Errorf("no clear message about the damaged journal; log:\n%s", strings.Join(book.lines, "\n"))
	}
	if m, _ := filepath.Glob(path + ".damaged-*"); len(m) != 1 {
		t.Errorf("damaged journal kept as %q, want one file", m)
	}
	sent.Wait()
	checkCatchUp(t, r, run2, delivered, nAnn, nRec)
	// The store binding lived in the damaged journal too; the retained
	// store.config brings it back.
	r.cloud.WaitFor("store bound again", run2.s.Paired)
}
