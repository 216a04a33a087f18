package server

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/storage"
)

// BenchmarkStoreLanding measures the page a customer gets when scanning a
// store code, over real HTTP against SQLite: session lookup, roles, store
// lookup and rendering. It reports requests/s and the p99 latency.
func BenchmarkStoreLanding(b *testing.B) {
	ts := startServer(b)
	st := ts.Storage()
	ctx := context.Background()
	now := time.Now()
	store := newShop(b, ts, plainShopNoManager).store
	token, err := st.CreateSession(ctx, storage.SessionWeChat, "o-customer", time.Hour, now)
	if err != nil {
		b.Fatal(err)
	}
	url := ts.base + "/s/" + store.CodeToken
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	// Runs before the server's cleanup: a dialed but unused connection
	// would otherwise hold graceful shutdown for 5 s.
	b.Cleanup(client.CloseIdleConnections)
	get := func() error {
		req, _ := http.NewRequest("GET", url, nil)
		req.AddCookie(&http.Cookie{Name: "qrs_wx", Value: token})
		req.AddCookie(&http.Cookie{Name: "qrs_csrf", Value: "bench-csrf-token-0123456789"})
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), "一号店") {
			b.Fatalf("landing: %d", resp.StatusCode)
		}
		return err
	}
	if err := get(); err != nil {
		b.Fatal(err)
	}
	var mu sync.Mutex
	var lat []time.Duration
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			t0 := time.Now()
			if err := get(); err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, time.Since(t0))
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	p99 := lat[min(len(lat)-1, len(lat)*99/100)]
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
}
