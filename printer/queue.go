package printer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"
)

// Job is one print job: the bytes of one document.
type Job struct {
	ID   string // for logs and callbacks, e.g. the event id
	Data []byte
}

// QueueConfig configures a Queue. Transport is required; the rest has
// defaults.
type QueueConfig struct {
	Transport Transport
	// Log receives job and status events (default: discarded).
	Log *slog.Logger
	// Capacity is the most jobs held at once (default 256). Submit beyond
	// it fails with ErrQueueFull rather than dropping anything.
	Capacity int
	// StatusTimeout bounds each status answer (DefaultStatusTimeout).
	StatusTimeout time.Duration
	// Poll is how often a held queue asks the printer again (default 5 s).
	Poll time.Duration
	// SkipStatus prints without asking for status first, for printers and
	// transports with no back channel.
	SkipStatus bool
	// After is the clock used for polling (default time.After); tests
	// inject their own.
	After func(time.Duration) <-chan time.Time
	// OnStatus, if set, is called from Run whenever the printer's status or
	// the error querying it changes (err is a status sentinel such as
	// ErrPaperOut, ErrNoReply, or nil when the printer can print). It runs
	// on Run's goroutine and must not block.
	OnStatus func(s Status, err error)
	// OnPrinted, if set, is called from Run after a job's bytes were all
	// written to the transport. It runs on Run's goroutine and must not
	// block.
	OnPrinted func(j Job)
}

// Validate reports a configuration Queue cannot run with.
func (c QueueConfig) Validate() error {
	switch {
	case c.Transport == nil:
		return errors.New("printer: queue needs a transport")
	case c.Capacity < 0 || c.StatusTimeout < 0 || c.Poll < 0:
		return errors.New("printer: negative queue setting")
	}
	return nil
}

// ErrQueueFull is returned by Submit when Capacity jobs are waiting.
var ErrQueueFull = errors.New("printer: queue full")

// ErrEmptyJob is returned by Submit for a job with no bytes.
var ErrEmptyJob = errors.New("printer: empty job")

// Queue prints jobs in order. Before each job it asks the printer for its
// status; while the paper is out, the cover open or the printer offline, it
// holds every job and asks again every Poll, and resumes in order when the
// printer is ready. A failed write ends Run with the error and keeps the
// job at the head of the queue: calling Run again (perhaps on a reopened
// transport) prints it again from its first byte.
type Queue struct {
	cfg  QueueConfig
	wake chan struct{}

	mu      sync.Mutex
	running bool
	jobs    []Job
	status  Status
	statErr error
	known   bool
}

// NewQueue returns a queue over cfg.Transport. Nothing prints until Run.
func NewQueue(cfg QueueConfig) (*Queue, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Capacity == 0 {
		cfg.Capacity = 256
	}
	if cfg.StatusTimeout == 0 {
		cfg.StatusTimeout = DefaultStatusTimeout
	}
	if cfg.Poll == 0 {
		cfg.Poll = 5 * time.Second
	}
	if cfg.After == nil {
		cfg.After = time.After
	}
	return &Queue{cfg: cfg, wake: make(chan struct{}, 1)}, nil
}

// Submit appends a job. It never blocks on the printer.
func (q *Queue) Submit(j Job) error {
	if len(j.Data) == 0 {
		return fmt.Errorf("%w: %s", ErrEmptyJob, j.ID)
	}
	q.mu.Lock()
	if len(q.jobs) >= q.cfg.Capacity {
		q.mu.Unlock()
		return fmt.Errorf("%w: %d jobs waiting, %s refused", ErrQueueFull, q.cfg.Capacity, j.ID)
	}
	q.jobs = append(q.jobs, j)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return nil
}

// Pending returns the ids of the jobs not yet printed, oldest first.
func (q *Queue) Pending() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	ids := make([]string, len(q.jobs))
	for i, j := range q.jobs {
		ids[i] = j.ID
	}
	return ids
}

// Status returns the last status seen and the error that holds the queue
// (nil when the printer was ready or has not been asked yet).
func (q *Queue) Status() (Status, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.status, q.statErr
}

// ErrRunning is returned by Run while another Run of the same queue is
// going: two writers would interleave jobs.
var ErrRunning = errors.New("printer: queue already running")

// Run prints jobs until ctx ends (returning ctx.Err()) or the transport
// fails (returning the error; the job stays queued).
func (q *Queue) Run(ctx context.Context) error {
	q.mu.Lock()
	if q.running {
		q.mu.Unlock()
		return ErrRunning
	}
	q.running = true
	q.mu.Unlock()
	defer func() {
		q.mu.Lock()
		q.running = false
		q.mu.Unlock()
	}()
	for {
		j, ok := q.head()
		if !ok {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-q.wake:
				continue
			}
		}
		if !q.cfg.SkipStatus {
			hold, err := q.checkStatus()
			if err != nil {
				return err
			}
			if hold {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-q.cfg.After(q.cfg.Poll):
				}
				continue
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if _, err := q.cfg.Transport.Write(j.Data); err != nil {
			q.cfg.Log.Error("print failed; job kept", "job", j.ID, "err", err)
			return fmt.Errorf("printer: job %s: %w", j.ID, err)
		}
		q.pop()
		q.cfg.Log.Info("printed", "job", j.ID, "bytes", len(j.Data))
		if q.cfg.OnPrinted != nil {
			q.cfg.OnPrinted(j)
		}
	}
}

// checkStatus asks the printer; hold is true when jobs must wait. A
// transport failure other than a missing answer is returned.
func (q *Queue) checkStatus() (hold bool, err error) {
	s, qerr := QueryStatus(q.cfg.Transport, q.cfg.StatusTimeout)
	var reason error
	switch {
	case qerr == nil:
		reason = s.Err()
	case errors.Is(qerr, ErrNoReply), errors.Is(qerr, ErrBadStatus):
		reason = qerr
	default:
		return false, qerr
	}
	q.mu.Lock()
	changed := !q.known || s != q.status || !sameErr(reason, q.statErr)
	q.status, q.statErr, q.known = s, reason, true
	q.mu.Unlock()
	if changed {
		if reason != nil {
			q.cfg.Log.Warn("printer not ready; holding jobs", "err", reason, "pending", len(q.Pending()))
		} else {
			q.cfg.Log.Info("printer ready", "paper_near_end", s.PaperNearEnd)
		}
		if q.cfg.OnStatus != nil {
			q.cfg.OnStatus(s, reason)
		}
	}
	return reason != nil, nil
}

func sameErr(a, b error) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Error() == b.Error()
}

func (q *Queue) head() (Job, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.jobs) == 0 {
		return Job{}, false
	}
	return q.jobs[0], true
}

func (q *Queue) pop() {
	q.mu.Lock()
	q.jobs = q.jobs[1:]
	q.mu.Unlock()
}
