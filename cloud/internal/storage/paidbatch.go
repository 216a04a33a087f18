package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/database"
	"github.com/qrstand/qrstand/cloud/internal/model"
)

// maxPaidBatch bounds one group commit: a batch holds SQLite's write lock
// (on PostgreSQL, its stands' stand_seq rows) for its whole transaction,
// so a very large one would stall every other writer (acks, claims) for
// longer than a notify is allowed to take.
const maxPaidBatch = 64

// postgresPaidRunners is how many batches commit at once on PostgreSQL,
// each for a different store. SQLite writes one transaction at a time, so
// it runs one.
const postgresPaidRunners = 4

// paidBatcher group-commits MarkPaid. The commit that precedes a notify's
// 200 must be durable (SQLite synchronous=FULL, PostgreSQL
// synchronous_commit on), which costs one fsync (WAL flush) per commit.
// Notifies that arrive while a batch commits wait in the queue and all go
// into the next transaction, so one fsync answers many of them.
//
// On PostgreSQL several batches run at once, one store each: a paid order
// locks its stands' stand_seq rows until commit, so two transactions for
// one store would only queue on those locks, while one transaction for
// all of a busy store's queued notifies takes them once. SQLite runs one
// batch of whatever is queued (its write lock covers the whole database).
//
// No goroutine lives while the queue is empty: an enqueue starts a runner
// when fewer than the limit run, and a runner exits once it finds nothing
// it may take, so Storage needs no Close.
type paidBatcher struct {
	s       *Storage
	runners int  // batches allowed at once
	byStore bool // a batch holds one store's items, and a store one batch

	mu      sync.Mutex
	queue   []*paidItem
	running int
	busy    map[string]bool // stores a running batch holds (byStore)
	batches int64           // transactions run, for the benchmarks' items per batch
}

func newPaidBatcher(s *Storage) *paidBatcher {
	if s.dialect == database.Postgres {
		return &paidBatcher{s: s, runners: postgresPaidRunners, byStore: true, busy: map[string]bool{}}
	}
	return &paidBatcher{s: s, runners: 1}
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
	if b.running < b.runners {
		b.running++
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
		batch, store := b.take()
		if len(batch) == 0 {
			b.running--
			b.mu.Unlock()
			return
		}
		b.batches++
		b.mu.Unlock()
		b.s.commitPaid(batch)
		if b.byStore {
			b.mu.Lock()
			delete(b.busy, store)
			b.mu.Unlock()
		}
	}
}

// take removes the next batch from the queue (b.mu held): everything
// queued, up to maxPaidBatch; byStore, the queued items of the store of
// the oldest item whose store no running batch holds.
func (b *paidBatcher) take() ([]*paidItem, string) {
	if !b.byStore {
		n := min(len(b.queue), maxPaidBatch)
		batch := b.queue[:n:n]
		b.queue = slices.Clone(b.queue[n:])
		return batch, ""
	}
	i := slices.IndexFunc(b.queue, func(it *paidItem) bool { return !b.busy[it.p.StoreID] })
	if i < 0 {
		return nil, ""
	}
	store := b.queue[i].p.StoreID
	var batch, rest []*paidItem
	for _, it := range b.queue {
		if it.p.StoreID == store && len(batch) < maxPaidBatch {
			batch = append(batch, it)
		} else {
			rest = append(rest, it)
		}
	}
	b.queue = rest
	b.busy[store] = true
	return batch, store
}

// commitPaid runs batch in one transaction and tells each item its result
// once the transaction has committed. Items whose caller already gave up
// are skipped. An item whose work fails is taken out and the transaction
// is run again without it (failures are rare, so the common path pays for
// no savepoints); a failed COMMIT fails the whole batch. Statements run
// under the batch's own context, never an item's: interrupting a write
// inside a SQLite transaction may roll back the whole transaction,
// batch-mates included.
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
	if allDeadlines && latest.Before(deadline) {
		// Every caller has a deadline: none will wait past the latest.
		deadline = latest
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	for len(live) > 0 {
		failed, err := s.tryPaid(ctx, live)
		switch {
		case failed >= 0:
			it := live[failed]
			it.o, it.changed, it.err = model.Order{}, false, fmt.Errorf("storage: mark paid: %w", conflict(err))
			close(it.done)
			live = slices.Delete(live, failed, failed+1)
			continue
		case err != nil:
			for _, it := range live {
				it.o, it.changed, it.err = model.Order{}, false, fmt.Errorf("storage: mark paid: %w", err)
				close(it.done)
			}
			return
		}
		for _, it := range live {
			close(it.done)
		}
		return
	}
}

// tryPaid runs items in one transaction. It returns the index of the item
// whose work failed with that error (the transaction rolled back), or -1
// and the error of the transaction itself (nil: committed, each item's o
// and changed set).
func (s *Storage) tryPaid(ctx context.Context, items []*paidItem) (int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return -1, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	stands := map[string][]string{} // per store, read once per transaction
	for i, it := range items {
		it.o, it.changed, err = s.markPaidTx(ctx, tx, it.p, it.now, it.build, stands)
		if err != nil {
			if ctx.Err() != nil {
				// The batch's deadline, not this item: all fail.
				return -1, err
			}
			return i, err
		}
	}
	if err := tx.Commit(); err != nil {
		return -1, conflict(fmt.Errorf("commit: %w", err))
	}
	return -1, nil
}

// markPaidTx is MarkPaid's work inside tx: the guarded NOTPAY→SUCCESS
// update (returning the order), and when it changed the order, its outbox
// rows. stands caches each store's stand list for the transaction.
func (s *Storage) markPaidTx(ctx context.Context, tx *sql.Tx, p Paid, now time.Time, build func(o model.Order) (Envelopes, error), stands map[string][]string) (o model.Order, changed bool, err error) {
	o, err = scanOrder(tx.QueryRowContext(ctx, s.q(`UPDATE orders SET state = ?, transaction_id = ?, payer_openid = CASE WHEN payer_openid = '' THEN ? ELSE payer_openid END,
			paid_at = ?, paid_via = ?, shift_id = ?, on_duty_id = ? WHERE out_trade_no = ? AND state = ? RETURNING `+orderCols),
		model.OrderSuccess, p.TransactionID, p.PayerOpenID, ts(p.PaidAt), p.Via, p.ShiftID, p.OnDutyID, p.OutTradeNo, model.OrderNotPay))
	if errors.Is(err, ErrNotFound) {
		// Paid already (or closed, or unknown): say what it is.
		o, err = scanOrder(tx.QueryRowContext(ctx, s.q(`SELECT `+orderCols+` FROM orders WHERE out_trade_no = ?`), p.OutTradeNo))
		return o, false, err
	}
	if err != nil {
		return o, false, err
	}
	env, err := build(o)
	if err != nil {
		return o, false, err
	}
	ids, ok := stands[o.StoreID]
	if !ok && env.Stand != nil {
		if ids, err = s.storeStands(ctx, tx, o.StoreID); err != nil {
			return o, false, err
		}
		stands[o.StoreID] = ids
	}
	if err := s.insertEnvelopes(ctx, tx, ids, o.OutTradeNo, now, env); err != nil {
		return o, false, err
	}
	return o, true, nil
}
