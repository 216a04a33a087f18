package stand

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/qrstand/qrstand/mqtt"
)

// BenchmarkAckFloor measures the stand's ack beside its two floors in the
// same process, interleaved so that all three see the same machine load:
// for each i, one raw QoS 1 echo round trip (a second stand identity on
// the same broker answers the envelope at once), one raw one-row SQLite
// transaction with the journal's settings (WAL, synchronous=FULL: one
// fsync), and one payment.paid from the cloud to the real stand until its
// ack (decode, journal insert, ack), while the stand's worker announces,
// prints and journals the previous payments. ratio = event p99 ÷ (echo
// p99 + txn p99); issue 14 aims at ≤ 2.
//
//	go test ./firmware/internal/stand -run X -bench AckFloor -benchtime 300x
func BenchmarkAckFloor(b *testing.B) {
	r := newRigB(b)
	run := r.start(opts{})
	defer run.stop()
	acks := make(chan string, 1024)
	r.cloud.OnUp(func(m mqtt.Message) {
		if a, ok := m.Body.(*mqtt.Ack); ok {
			acks <- a.Ref
		}
	})
	r.cloud.Send(r.id, storeConfig(), 0)
	<-acks

	echoID := "stand-echo-1"
	startEcho(b, r.b.URL, echoID, r.b.AddStand(echoID))

	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "FULL")
	raw, err := sql.Open("sqlite3", "file:"+filepath.Join(b.TempDir(), "raw.db")+"?"+q.Encode())
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	raw.SetMaxOpenConns(1)
	ctx := context.Background()
	if _, err := raw.ExecContext(ctx, `CREATE TABLE raw (id INTEGER PRIMARY KEY, body BLOB NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	body := make([]byte, 600) // about one journaled payment.paid

	roundTrip := func(to string, body mqtt.Body, seq int64) time.Duration {
		start := time.Now()
		m := r.cloud.Send(to, body, seq)
		for ref := range acks {
			if ref == m.ID {
				break
			}
		}
		return time.Since(start)
	}
	var echoLat, txnLat, eventLat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		echoLat = append(echoLat, roundTrip(echoID, paid(fmt.Sprintf("E%06d", i), 100, time.Now()), int64(i+1)))
		start := time.Now()
		if _, err := raw.ExecContext(ctx, `INSERT INTO raw (id, body) VALUES (?, ?)`, i, body); err != nil {
			b.Fatal(err)
		}
		txnLat = append(txnLat, time.Since(start))
		eventLat = append(eventLat, roundTrip(r.id, paid(fmt.Sprintf("A%06d", i), 100, time.Now()), int64(i+1)))
	}
	b.StopTimer()
	p := func(lat []time.Duration, q int) float64 {
		slices.Sort(lat)
		return float64(lat[len(lat)*q/100].Microseconds()) / 1000
	}
	e99, t99, a99 := p(echoLat, 99), p(txnLat, 99), p(eventLat, 99)
	b.ReportMetric(p(echoLat, 50), "echo-p50-ms")
	b.ReportMetric(e99, "echo-p99-ms")
	b.ReportMetric(p(txnLat, 50), "txn-p50-ms")
	b.ReportMetric(t99, "txn-p99-ms")
	b.ReportMetric(p(eventLat, 50), "ack-p50-ms")
	b.ReportMetric(a99, "ack-p99-ms")
	b.ReportMetric(a99/(e99+t99), "ratio")
}
