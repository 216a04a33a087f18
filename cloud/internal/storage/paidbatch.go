package storage

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/database"
	"github.com/qrstand/qrstand/cloud/internal/model"
)

// maxPaidBatch bounds one group commit: a batch holds SQLite's write lock
// for its whole transaction, so a very large one would stall every other
// writer (acks, claims) for longer than a notify is allowed to take.
const maxPaidBatch = 64

// paidBatcher group-commits MarkPaid on SQLite. The database runs
// synchronous=FULL so the commit that precedes a notify's 200 survives a
// power cut; that costs one fsync per commit, and SQLite writes one
// transaction at a time. Notifies that arrive while a batch commits wait
// in the queue and all go into the next transaction, so one fsync answers
// many of them. Each item runs inside its own SAVEPOINT: an item that
// fails is rolled back alone and its batch-mates still commit.
//
// No goroutine lives while the queue is empty: the first enqueue starts
// one, and it exits once it finds nothing left to do, so Storage needs no
// Close.
type paidBatcher struct {
	s *Storage

	mu      sync.Mutex
	queue   []*paidItem
	running bool
	batches int64 // transactions run, for the benchmark's items per batch
}

// paidItem is one MarkPaid waiting for its batch.
type paidItem struct {
	ctx   context.Context
	p     Paid
	now   time.Time
	build func(model.Order) (Envelopes, error)

	done    chan struct{} // closed once o, changed, err are final
	o       model.Order
	changed bool
	err     error
}

// markPaid queues it and waits until its batch has committed (or failed),
// or until ctx ends. A caller that gives up may still see its change
// committed by the batch later: MarkPaid is idempotent, so the notify
// WeChat resends after the error finds the order paid and writes nothing.
func (b *paidBatcher) markPaid(it *paidItem) (model.Order, bool, error) {
	it.done = make(chan struct{})
	b.mu.Lock()
	b.queue = append(b.queue, it)
	if !b.running {
		b.running = true
		go b.run()
	}
	b.mu.Unlock()
	select {
	case <-it.done:
		return it.o, it.changed, it.err
	case <-it.ctx.Done():
		return model.Order{}, false, fmt.Errorf("storage: mark paid: waiting for the batch: %w", context.Cause(it.ctx))
	}
}

func (b *paidBatcher) run() {
	for {
		b.mu.Lock()
		n := min(len(b.queue), maxPaidBatch)
		if n == 0 {
			b.running = false
			b.mu.Unlock()
			return
		}
		batch := b.queue[:n:n]
		b.queue = append([]*paidItem(nil), b.queue[n:]...)
		b.batches++
		b.mu.Unlock()
		b.s.commitPaid(batch)
	}
}

// commitPaid runs batch in one transaction, one savepoint per item, and
// tells each item its result. Items whose caller already gave up are
// skipped. Statements run under the batch's own context, never an item's:
// interrupting a write inside a SQLite transaction may roll back the whole
// transaction, batch-mates included.
func (s *Storage) commitPaid(batch []*paidItem) {
	live := batch[:0:0]
	deadline := time.Now().Add(database.MaxBusyWait)
	latest, allDeadlines := time.Time{}, true
	for _, it := range batch {
		if err := it.ctx.Err(); err != nil {
			it.err = fmt.Errorf("storage: mark paid: %w", context.Cause(it.ctx))
			close(it.done)
			continue
		}
		d, ok := it.ctx.Deadline()
		allDeadlines = allDeadlines && ok
		if ok && d.After(latest) {
			latest = d
		}
		live = append(live, it)
	}
	if len(live) == 0 {
		return
	}
	if allDeadlines && latest.Before(deadline) {
		// Every caller has a deadline: none will wait past the latest.
		deadline = latest
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	finish := func(err error) {
		for _, it := range live {
			if err != nil {
				it.o, it.changed, it.err = model.Order{}, false, fmt.Errorf("storage: mark paid: %w", err)
			}
			close(it.done)
		}
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		finish(fmt.Errorf("begin: %w", err))
		return
	}
	defer tx.Rollback()
	for _, it := range live {
		if _, err := tx.ExecContext(ctx, `SAVEPOINT paid`); err != nil {
			finish(fmt.Errorf("savepoint: %w", err))
			return
		}
		it.o, it.changed, it.err = s.markPaidTx(ctx, tx, it.p, it.now, it.build)
		if it.err != nil {
			it.o, it.changed = model.Order{}, false
			it.err = fmt.Errorf("storage: mark paid: %w", conflict(it.err))
			if _, err := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT paid`); err != nil {
				finish(fmt.Errorf("rollback to savepoint: %w", err))
				return
			}
		}
		if _, err := tx.ExecContext(ctx, `RELEASE SAVEPOINT paid`); err != nil {
			finish(fmt.Errorf("release savepoint: %w", err))
			return
		}
	}
	if err := tx.Commit(); err != nil {
		finish(conflict(fmt.Errorf("commit: %w", err)))
		return
	}
	// Items that failed keep their own error; the rest are committed.
	for _, it := range live {
		close(it.done)
	}
}

// markPaidTx is MarkPaid's work inside tx.
func (s *Storage) markPaidTx(ctx context.Context, tx *sql.Tx, p Paid, now time.Time, build func(o model.Order) (Envelopes, error)) (o model.Order, changed bool, err error) {
	res, err := tx.ExecContext(ctx, s.q(`UPDATE orders SET state = ?, transaction_id = ?, payer_openid = CASE WHEN payer_openid = '' THEN ? ELSE payer_openid END,
			paid_at = ?, paid_via = ?, shift_id = ?, on_duty_id = ? WHERE out_trade_no = ? AND state = ?`),
		model.OrderSuccess, p.TransactionID, p.PayerOpenID, ts(p.PaidAt), p.Via, p.ShiftID, p.OnDutyID, p.OutTradeNo, model.OrderNotPay)
	if err != nil {
		return o, false, err
	}
	n, _ := res.RowsAffected()
	o, err = scanOrder(tx.QueryRowContext(ctx, s.q(`SELECT `+orderCols+` FROM orders WHERE out_trade_no = ?`), p.OutTradeNo))
	if err != nil {
		return o, false, err
	}
	if n == 0 {
		return o, false, nil
	}
	env, err := build(o)
	if err != nil {
		return o, false, err
	}
	if err := s.writeEnvelopes(ctx, tx, o.StoreID, o.OutTradeNo, now, env); err != nil {
		return o, false, err
	}
	return o, true, nil
}
