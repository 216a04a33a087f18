package printer_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/qrstand/qrstand/printer"
	"github.com/qrstand/qrstand/printer/printertest"
)

type statusEvent struct {
	s   printer.Status
	err error
}

// harness runs a Queue over a fake printer with a hand-driven poll clock.
type harness struct {
	fake    *printertest.Printer
	q       *printer.Queue
	poll    chan time.Time
	armed   chan struct{} // a token each time Run starts waiting for a poll
	status  chan statusEvent
	printed chan string
	done    chan error
	cancel  context.CancelFunc
}

func newHarness(t *testing.T, fake *printertest.Printer) *harness {
	h := &harness{
		fake:    fake,
		poll:    make(chan time.Time),
		armed:   make(chan struct{}, 64),
		status:  make(chan statusEvent, 16),
		printed: make(chan string, 16),
	}
	q, err := printer.NewQueue(printer.QueueConfig{
		Transport: fake,
		After: func(time.Duration) <-chan time.Time {
			h.armed <- struct{}{}
			return h.poll
		},
		OnStatus:  func(s printer.Status, err error) { h.status <- statusEvent{s, err} },
		OnPrinted: func(j printer.Job) { h.printed <- j.ID },
	})
	if err != nil {
		t.Fatal(err)
	}
	h.q = q
	return h
}

func (h *harness) run(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	h.done = make(chan error, 1)
	go func() { h.done <- h.q.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-h.done
	})
}

func wait[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

func jobs(ids ...string) []printer.Job {
	var js []printer.Job
	for _, id := range ids {
		js = append(js, printer.Job{ID: id, Data: []byte("job " + id + "\n")})
	}
	return js
}

func TestQueueHoldsJobsWhilePaperOut(t *testing.T) {
	fake := printertest.New(t)
	fake.PaperOut = true
	h := newHarness(t, fake)
	for _, j := range jobs("a", "b", "c") {
		if err := h.q.Submit(j); err != nil {
			t.Fatal(err)
		}
	}
	h.run(t)

	ev := wait(t, h.status, "paper-out status")
	if !errors.Is(ev.err, printer.ErrPaperOut) || !ev.s.PaperOut {
		t.Fatalf("status %+v, %v; want paper out", ev.s, ev.err)
	}
	// Still held after another poll; nothing written (the fake fails the
	// test on any write while the paper is out).
	wait(t, h.armed, "Run to hold")
	h.poll <- time.Time{}
	wait(t, h.armed, "Run to hold again")
	if s, err := h.q.Status(); !s.PaperOut || !errors.Is(err, printer.ErrPaperOut) {
		t.Errorf("Queue.Status() = %+v, %v", s, err)
	}
	if diff := cmp.Diff(h.q.Pending(), []string{"a", "b", "c"}); diff != "" {
		t.Errorf("pending (-got +want):\n%s", diff)
	}
	if err := h.q.Submit(jobs("d")[0]); err != nil {
		t.Fatal(err)
	}

	fake.Set(func(p *printertest.Printer) { p.PaperOut = false })
	h.poll <- time.Time{}
	ev = wait(t, h.status, "ready status")
	if ev.err != nil || ev.s.PaperOut {
		t.Fatalf("status %+v, %v; want ready", ev.s, ev.err)
	}
	var order []string
	for range 4 {
		order = append(order, wait(t, h.printed, "printed job"))
	}
	if diff := cmp.Diff(order, []string{"a", "b", "c", "d"}); diff != "" {
		t.Errorf("print order (-got +want):\n%s", diff)
	}
	var got []string
	for _, w := range fake.Writes() {
		got = append(got, string(w))
	}
	if diff := cmp.Diff(got, []string{"job a\n", "job b\n", "job c\n", "job d\n"}); diff != "" {
		t.Errorf("bytes on the printer (-got +want):\n%s", diff)
	}
	if n := len(h.q.Pending()); n != 0 {
		t.Errorf("%d jobs still pending", n)
	}
}

func TestQueueReportsStatusKinds(t *testing.T) {
	tests := []struct {
		name string
		set  func(p *printertest.Printer)
		want error
	}{
		{"cover open", func(p *printertest.Printer) { p.CoverOpen = true }, printer.ErrCoverOpen},
		{"offline", func(p *printertest.Printer) { p.Offline = true }, printer.ErrOffline},
		{"error", func(p *printertest.Printer) { p.Error = true }, printer.ErrPrinterError},
		{"no reply", func(p *printertest.Printer) { p.NoReply = true }, printer.ErrNoReply},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := printertest.New(t)
			tt.set(fake)
			h := newHarness(t, fake)
			if err := h.q.Submit(jobs("x")[0]); err != nil {
				t.Fatal(err)
			}
			h.run(t)
			ev := wait(t, h.status, "status")
			if !errors.Is(ev.err, tt.want) {
				t.Fatalf("status error %v, want %v", ev.err, tt.want)
			}
			fake.Set(func(p *printertest.Printer) { p.CoverOpen, p.Offline, p.Error, p.NoReply = false, false, false, false })
			h.poll <- time.Time{}
			if id := wait(t, h.printed, "printed job"); id != "x" {
				t.Errorf("printed %q", id)
			}
		})
	}
}

func TestQueuePaperNearEndStillPrints(t *testing.T) {
	fake := printertest.New(t)
	fake.PaperNearEnd = true
	h := newHarness(t, fake)
	h.run(t)
	if err := h.q.Submit(jobs("x")[0]); err != nil {
		t.Fatal(err)
	}
	ev := wait(t, h.status, "status")
	if ev.err != nil || !ev.s.PaperNearEnd {
		t.Fatalf("status %+v, %v; want near end and ready", ev.s, ev.err)
	}
	wait(t, h.printed, "printed job")
}

func TestQueueWriteErrorSurfacesAndKeepsJob(t *testing.T) {
	fake := printertest.New(t)
	pulled := errors.New("usb: device disconnected")
	fake.WriteErr = pulled
	h := newHarness(t, fake)
	for _, j := range jobs("a", "b") {
		if err := h.q.Submit(j); err != nil {
			t.Fatal(err)
		}
	}
	err := h.q.Run(context.Background())
	if !errors.Is(err, pulled) {
		t.Fatalf("Run() = %v, want the transport error", err)
	}
	if diff := cmp.Diff(h.q.Pending(), []string{"a", "b"}); diff != "" {
		t.Errorf("pending after failure (-got +want):\n%s", diff)
	}
	// A status query that fails on the transport also ends Run.
	fake.Set(func(p *printertest.Printer) { p.WriteErr = nil; p.QueryErr = pulled })
	if err := h.q.Run(context.Background()); !errors.Is(err, pulled) {
		t.Fatalf("Run() = %v, want the query error", err)
	}
	fake.Set(func(p *printertest.Printer) { p.QueryErr = nil })
	h.run(t)
	for _, want := range []string{"a", "b"} {
		if got := wait(t, h.printed, "printed job"); got != want {
			t.Errorf("printed %q, want %q", got, want)
		}
	}
}

func TestQueueSubmitRefuses(t *testing.T) {
	fake := printertest.New(t)
	q, err := printer.NewQueue(printer.QueueConfig{Transport: fake, Capacity: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Submit(printer.Job{ID: "empty"}); !errors.Is(err, printer.ErrEmptyJob) {
		t.Errorf("Submit(empty) = %v", err)
	}
	for i := range 2 {
		if err := q.Submit(printer.Job{ID: fmt.Sprint(i), Data: []byte{'x'}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.Submit(printer.Job{ID: "overflow", Data: []byte{'x'}}); !errors.Is(err, printer.ErrQueueFull) {
		t.Errorf("Submit beyond capacity = %v, want ErrQueueFull", err)
	}
	if _, err := printer.NewQueue(printer.QueueConfig{}); err == nil {
		t.Error("NewQueue without a transport succeeded")
	}
}

func TestQueueStopsOnCancel(t *testing.T) {
	fake := printertest.New(t)
	fake.PaperOut = true
	h := newHarness(t, fake)
	h.q.Submit(jobs("a")[0])
	h.run(t)
	wait(t, h.status, "status")
	if err := h.q.Run(context.Background()); !errors.Is(err, printer.ErrRunning) {
		t.Errorf("second Run() = %v, want ErrRunning", err)
	}
	h.cancel()
	if err := wait(t, h.done, "Run to return"); !errors.Is(err, context.Canceled) {
		t.Errorf("Run() = %v, want context.Canceled", err)
	}
	h.done <- nil // for the cleanup
}
