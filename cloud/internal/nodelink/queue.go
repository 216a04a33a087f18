package nodelink

import (
	"context"
	"hash/maphash"
	"sync"
)

// QueueConfig configures a Queue; zero values take the defaults given.
type QueueConfig struct {
	// Name labels the queue's metrics and logs, e.g. "outbox".
	Name string
	// Workers is how many goroutines drain the queue (default 4). A stand's
	// uplinks always go to the same worker, so they are handled one at a
	// time in arrival order; different stands' in parallel.
	Workers int
	// Len is the capacity of each worker's backlog (default 1024).
	Len int
	// Dropped, if set, is told of every uplink the full queue refused. It is
	// called on paho's router goroutine, so it must return at once (record
	// the stand and act later).
	Dropped func(Uplink)
}

// Queue is a bounded queue of uplinks, sharded by stand, drained by the
// goroutines its owner runs with Serve.
type Queue struct {
	cfg    QueueConfig
	seed   maphash.Seed
	shards []chan Uplink
}

// NewQueue returns an empty queue.
func NewQueue(cfg QueueConfig) *Queue {
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.Len <= 0 {
		cfg.Len = 1024
	}
	q := &Queue{cfg: cfg, seed: maphash.MakeSeed(), shards: make([]chan Uplink, cfg.Workers)}
	for i := range q.shards {
		q.shards[i] = make(chan Uplink, cfg.Len)
	}
	return q
}

// Name is the queue's name.
func (q *Queue) Name() string { return q.cfg.Name }

// offer queues u without waiting; false means its worker's backlog is full
// (and Dropped was told).
func (q *Queue) offer(u Uplink) bool {
	select {
	case q.shards[maphash.String(q.seed, u.Stand)%uint64(len(q.shards))] <- u:
		return true
	default:
		if q.cfg.Dropped != nil {
			q.cfg.Dropped(u)
		}
		return false
	}
}

// Len is how many uplinks wait (for tests and metrics).
func (q *Queue) Len() int {
	n := 0
	for _, s := range q.shards {
		n += len(s)
	}
	return n
}

// Serve calls h for every queued uplink, on Workers goroutines, until ctx
// is done; it returns once they all have. h gets ctx. Uplinks still queued
// then are dropped with the process: their PUBACKs went out, so what they
// said is made up for as for a full queue (see the package doc).
func (q *Queue) Serve(ctx context.Context, h func(context.Context, Uplink)) {
	var wg sync.WaitGroup
	for _, s := range q.shards {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case u := <-s:
					h(ctx, u)
				}
			}
		}()
	}
	wg.Wait()
}
