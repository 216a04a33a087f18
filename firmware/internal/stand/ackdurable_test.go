package stand

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/qrstand/qrstand/mqtt"
)

// TestAckOnlyAfterInsertCommitted: at the moment each ack reaches the
// cloud, the event is already committed in the journal file: a separate
// connection, as a restarted stand would open, finds it. The journal's
// insert connections commit with synchronous=FULL (journal's
// TestInsertConnectionsSynchronousFull), so committed there means fsynced.
// Payments are sent back to back so that acks race the worker's announce,
// print and state changes for the earlier ones.
func TestAckOnlyAfterInsertCommitted(t *testing.T) {
	r := newRig(t, false)
	run := r.start(opts{})
	defer run.stop()
	cfg := r.cloud.Send(r.id, storeConfig(), 0)
	r.cloud.WaitFor("store.config ack", func() bool { return r.cloud.Acked(cfg.ID) })

	other, err := sql.Open("sqlite3", "file:"+filepath.Join(r.dir, "journal.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	var mu sync.Mutex
	seen := map[string]bool{} // ack ref → found in the file when the ack arrived
	r.cloud.OnUp(func(m mqtt.Message) {
		a, ok := m.Body.(*mqtt.Ack)
		if !ok {
			return
		}
		var n int
		err := other.QueryRow(`SELECT COUNT(*) FROM events WHERE id = ?`, a.Ref).Scan(&n)
		mu.Lock()
		seen[a.Ref] = err == nil && n == 1
		mu.Unlock()
	})
	const total = 20
	var sent []mqtt.Message
	for i := range total {
		sent = append(sent, r.cloud.Send(r.id, paid(fmt.Sprintf("DUR%03d", i), int64(100+i), time.Now()), int64(i+1)))
	}
	r.cloud.WaitFor("every ack", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range sent {
			if _, ok := seen[m.ID]; !ok {
				return false
			}
		}
		return true
	})
	mu.Lock()
	defer mu.Unlock()
	for i, m := range sent {
		if !seen[m.ID] {
			t.Errorf("payment %d acked before its insert was in the journal file", i)
		}
	}
}
