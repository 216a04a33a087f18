package loadkit

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	_ "github.com/mattn/go-sqlite3" // the journal's driver, to read it back

	"github.com/qrstand/qrstand/firmware/internal/speech"
	"github.com/qrstand/qrstand/mqtt"
)

// ReprintLabel marks a receipt printed again after a crash between paper
// and "done" (DESIGN §5); firmware/internal/stand prints it.
const ReprintLabel = "补打"

// Payment is one order a customer paid during a run.
type Payment struct {
	Order string
	Store int // index into the run's stores
	Fen   int64
	At    time.Time // when the simulator's pay sheet was confirmed (it then sends the notify)
}

// Tally is the per-order verdict over a run's payments.
type Tally struct {
	Paid      int64 // payments checked
	Announced int64 // said exactly once (or in a catch-up summary) on every stand of the store
	Printed   int64 // exactly one unlabelled receipt (or only 补打 ones) on every stand of the store
	Reprinted int64 // orders with a receipt labelled 补打 on some stand (besides the first)
	Lost      int64 // missing from some stand's journal, announcements or receipts
	// Duplicated counts orders some stand has more than once in its
	// journal, said more than once, or printed more than once without the
	// 补打 label.
	Duplicated int64
	// CaughtUp counts deliveries that reached a stand after the announce
	// window: the stand said them in one summary, as designed, so they
	// count as announced without their own announcement.
	CaughtUp int64
	// Latencies are confirm → stand about to ack, one per delivery the
	// stand's hook saw (stands hosted in another process report none).
	Latencies []time.Duration
}

// View is what one stand holds at the end of a run.
type View struct {
	journal   map[string][]journalRow // by order number
	said      map[string]int          // announcement text → times said
	printed   map[string]int          // order number → unlabelled receipts naming it
	reprinted map[string]int          // order number → 补打 receipts naming it
	acked     map[string]time.Time    // event id → when it was about to be acked
}

// journalRow is one payment as the stand's journal has it.
type journalRow struct {
	id, orderNo, state string
	catchUp            bool // arrived after the announce window: in a summary, not said alone
}

// ReadView reads a stopped (or killed) stand's folder: its journal, what
// it said and what it printed. acked may be nil.
func ReadView(dir string, acked map[string]time.Time) (*View, error) {
	rows, err := readJournal(dir)
	if err != nil {
		return nil, err
	}
	said, err := readRecords(filepath.Join(dir, saidFile))
	if err != nil {
		return nil, err
	}
	receipts, err := readRecords(filepath.Join(dir, receiptsFile))
	if err != nil {
		return nil, err
	}
	return newView(rows, said, receipts, acked), nil
}

func newView(rows []journalRow, said, receipts []string, acked map[string]time.Time) *View {
	sv := &View{journal: map[string][]journalRow{}, said: map[string]int{}, printed: map[string]int{}, reprinted: map[string]int{}, acked: acked}
	for _, r := range rows {
		sv.journal[r.orderNo] = append(sv.journal[r.orderNo], r)
	}
	for _, t := range said {
		sv.said[t]++
	}
	for _, t := range receipts {
		into := sv.printed
		if strings.Contains(t, ReprintLabel) {
			into = sv.reprinted
		}
		for no := range sv.journal {
			if strings.Contains(t, no) {
				into[no]++
			}
		}
	}
	return sv
}

// readJournal reads every payment.paid event in a stand's journal, from
// the file, read-only.
func readJournal(dir string) ([]journalRow, error) {
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "journal.db")+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.Query(`SELECT id, state, catchup, body FROM events WHERE kind = ?`, string(mqtt.KindPaymentPaid))
	if err != nil {
		return nil, fmt.Errorf("loadkit: journal in %s: %w", dir, err)
	}
	defer rows.Close()
	var out []journalRow
	for rows.Next() {
		var r journalRow
		var payload []byte
		if err := rows.Scan(&r.id, &r.state, &r.catchUp, &payload); err != nil {
			return nil, err
		}
		m, err := mqtt.Unmarshal(payload)
		if err != nil {
			return nil, fmt.Errorf("loadkit: journal %s: event %s: %w", dir, r.id, err)
		}
		p, ok := m.Body.(*mqtt.PaymentPaid)
		if !ok {
			return nil, fmt.Errorf("loadkit: journal %s: event %s is %T", dir, r.id, m.Body)
		}
		r.orderNo = p.OrderNo
		out = append(out, r)
	}
	return out, rows.Err()
}

// Check compares, per order and per stand of its store (byStore[i] holds
// the views of store i's stands), what the stands' journals, announcements
// and receipts hold. An order counts as announced (printed) when every
// stand of its store said (printed) it exactly once; it is lost when any
// stand is missing it in its journal, its announcements or its receipts,
// and duplicated when any stand has it more than once in any of them (a
// receipt labelled 补打 is a reprint, counted apart, not a duplicate).
func Check(pays []Payment, byStore [][]*View) (Tally, error) {
	var rep Tally
	for _, p := range pays {
		rep.Paid++
		u, err := speech.Payment(speech.ChannelWeChat, p.Fen, speech.TwoEr)
		if err != nil {
			return Tally{}, err
		}
		said, printed, reprinted, lost, dup := true, true, false, false, false
		for _, sv := range byStore[p.Store] {
			js := sv.journal[p.Order]
			switch {
			case len(js) == 0:
				lost = true
			case len(js) > 1:
				dup = true
			}
			late := false
			for _, r := range js {
				if r.state != "done" {
					lost = true
				}
				if r.catchUp {
					late = true
					rep.CaughtUp++
				}
				if at, ok := sv.acked[r.id]; ok {
					rep.Latencies = append(rep.Latencies, at.Sub(p.At))
				}
			}
			switch n := sv.said[u.Text]; {
			case n == 0 && late:
			case n == 0:
				said, lost = false, true
			case n > 1:
				said, dup = false, true
			}
			switch n := sv.printed[p.Order]; {
			case n == 0 && sv.reprinted[p.Order] > 0:
				// Only a labelled copy: a resent event the stand
				// may have printed before it lost its journal.
			case n == 0:
				printed, lost = false, true
			case n > 1:
				printed, dup = false, true
			}
			if sv.reprinted[p.Order] > 0 {
				reprinted = true
			}
		}
		if said {
			rep.Announced++
		}
		if printed {
			rep.Printed++
		}
		if reprinted {
			rep.Reprinted++
		}
		if lost {
			rep.Lost++
		}
		if dup {
			rep.Duplicated++
		}
	}
	return rep, nil
}

// Pct is the p-th percentile (nearest rank) of ds; 0 when empty.
func Pct(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(p/100*float64(len(s))+0.999999) - 1
	i = max(0, min(i, len(s)-1))
	return s[i]
}

// Ms is d in milliseconds, rounded to 0.01.
func Ms(d time.Duration) float64 { return Round(float64(d) / float64(time.Millisecond)) }

// Round rounds to 0.01.
func Round(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }

// Explain says what each view holds of p: for a lost or duplicated
// order, the line a person reads first.
func Explain(p Payment, views []*View) string {
	u, _ := speech.Payment(speech.ChannelWeChat, p.Fen, speech.TwoEr)
	var b strings.Builder
	fmt.Fprintf(&b, "order %s (%d fen):", p.Order, p.Fen)
	for i, sv := range views {
		fmt.Fprintf(&b, " [stand %d: journal", i)
		for _, r := range sv.journal[p.Order] {
			fmt.Fprintf(&b, " %s/%s catchup=%v", r.id, r.state, r.catchUp)
		}
		fmt.Fprintf(&b, "; said %d, printed %d, 补打 %d]", sv.said[u.Text], sv.printed[p.Order], sv.reprinted[p.Order])
	}
	return b.String()
}
