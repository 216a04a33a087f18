package journal

import "sync"

// maxInsertRun is how many inserts may go ahead of a waiting bookkeeping
// write in a row: a long burst of deliveries still lets the worker
// announce and print between them.
const maxInsertRun = 8

// gate orders the journal's writes. SQLite has one writer at a time, and
// a write holds it through its fsync (synchronous=FULL), so a write that
// arrives while another commits waits for that fsync. Inserts are what the
// stand acks after, so they go first: a bookkeeping write (a state
// transition, a setting) waits while an insert waits, and an insert waits
// at most for the one write already committing. Reads do not pass through
// the gate; in WAL mode they never wait for a writer.
type gate struct {
	mu      sync.Mutex
	cond    *sync.Cond
	held    bool
	inserts int // inserts waiting
	run     int // inserts let in since a bookkeeping write last went
	others  int // bookkeeping writes waiting
}

func newGate() *gate {
	g := &gate{}
	g.cond = sync.NewCond(&g.mu)
	return g
}

// lockInsert waits for the writer's turn ahead of bookkeeping writes.
func (g *gate) lockInsert() {
	g.mu.Lock()
	g.inserts++
	for g.held || (g.others > 0 && g.run >= maxInsertRun) {
		g.cond.Wait()
	}
	g.inserts--
	g.run++
	g.held = true
	g.mu.Unlock()
}

// lockOther waits for the writer's turn behind waiting inserts.
func (g *gate) lockOther() {
	g.mu.Lock()
	g.others++
	for g.held || (g.inserts > 0 && g.run < maxInsertRun) {
		g.cond.Wait()
	}
	g.others--
	g.run = 0
	g.held = true
	g.mu.Unlock()
}

func (g *gate) unlock() {
	g.mu.Lock()
	g.held = false
	g.mu.Unlock()
	g.cond.Broadcast()
}
