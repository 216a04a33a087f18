package outbox_test

import (
	"context"
	"flag"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/outbox"
	"github.com/qrstand/qrstand/cloud/internal/payment/paytest"
	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/mqtttest"
	"github.com/qrstand/qrstand/mqtt/standclient"
)

var stormStands = flag.Int("storm", 150, "stands in TestReconnectStorm (thousands for the figures in cloud/docs/scale.md)")

// fleet is many stands on standclient that only record what they get:
// per stand, the syncs of its current life and the payment events.
type fleet struct {
	t testing.TB
	b *mqtttest.Broker

	mu     sync.Mutex
	ids    []string
	secret map[string]string
	synced map[string]int             // stand → syncs this life
	sync   map[string]*mqtt.Sync      // stand → last sync
	paid   map[string]map[string]bool // stand → order numbers
	stop   map[string]func()
}

func newFleet(t testing.TB, w *paytest.World, b *mqtttest.Broker, n int) *fleet {
	f := &fleet{t: t, b: b, secret: map[string]string{}, synced: map[string]int{}, sync: map[string]*mqtt.Sync{},
		paid: map[string]map[string]bool{}, stop: map[string]func(){}}
	for i := range n {
		id := fmt.Sprintf("qrs-storm-%04d", i)
		w.AddStand(t, id)
		f.ids = append(f.ids, id)
		f.secret[id] = b.AddStand(id)
		f.paid[id] = map[string]bool{}
	}
	t.Cleanup(f.stopAll)
	return f
}

// start connects stand id: it says hello on connect, as a stand does.
func (f *fleet) start(id string) {
	c, err := standclient.New(standclient.Config{Broker: f.b.URL, DeviceID: id, Secret: f.secret[id],
		MinBackoff: 50 * time.Millisecond, MaxBackoff: time.Second, PublishTimeout: time.Minute})
	if err != nil {
		f.t.Error(err)
		return
	}
	c.Handle(mqtt.KindSync, func(_ context.Context, m mqtt.Message) error {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.synced[id]++
		f.sync[id] = m.Body.(*mqtt.Sync)
		return nil
	})
	c.Handle(mqtt.KindPaymentPaid, func(_ context.Context, m mqtt.Message) error {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.paid[id][m.Body.(*mqtt.PaymentPaid).OrderNo] = true
		return nil
	})
	c.OnConnect(func(ctx context.Context) {
		if _, err := c.Publish(ctx, &mqtt.Hello{Firmware: "test", BootID: "storm", Paired: true}); err != nil {
			f.t.Logf("stand %s: hello: %v", id, err)
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); c.Run(ctx) }()
	f.mu.Lock()
	f.synced[id] = 0
	f.stop[id] = func() { cancel(); <-done }
	f.mu.Unlock()
}

// startAll connects every stand at once.
func (f *fleet) startAll() {
	var wg sync.WaitGroup
	for _, id := range f.ids {
		wg.Add(1)
		go func() { defer wg.Done(); f.start(id) }()
	}
	wg.Wait()
}

// stopAll shuts every stand down cleanly (presence offline).
func (f *fleet) stopAll() {
	f.mu.Lock()
	stops := f.stop
	f.stop = map[string]func(){}
	f.mu.Unlock()
	var wg sync.WaitGroup
	for _, stop := range stops {
		wg.Add(1)
		go func() { defer wg.Done(); stop() }()
	}
	wg.Wait()
}

// missing lists the stands without a sync this life, or without one of
// orders.
func (f *fleet) missing(orders []string) (unsynced, unpaid []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range f.ids {
		if f.synced[id] == 0 {
			unsynced = append(unsynced, id)
		}
		for _, no := range orders {
			if !f.paid[id][no] {
				unpaid = append(unpaid, id)
				break
			}
		}
	}
	return unsynced, unpaid
}

// TestReconnectStorm: a fleet that went offline while payments came in
// reconnects all at once. Every stand gets its sync (naming its pending
// events) and every pending event. The broker's per-stand queue is small
// (64) so that a few hundred stands load the cloud's session as thousands
// load a stand-sized quota (measured on the old code: 4,000 stands at
// ~1,000/s against 8,192 lost 3,319 messages to the cloud's session, and
// 1,069 stands never got their sync). -storm sets the fleet size.
func TestReconnectStorm(t *testing.T) {
	for _, c := range []struct {
		name     string
		mod      func(*outbox.Config)
		mustDrop bool
	}{
		{"default", nil, false},
		// One worker with a backlog of 16: most hellos, presences and acks
		// of the storm are dropped on the node and must be made up for.
		{"tiny-queue", func(c *outbox.Config) { c.UplinkWorkers, c.UplinkQueue = 1, 16 }, true},
	} {
		t.Run(c.name, func(t *testing.T) { testReconnectStorm(t, *stormStands, c.mod, c.mustDrop) })
	}
}

func testReconnectStorm(t *testing.T, n int, mod func(*outbox.Config), mustDrop bool) {
	w := paytest.New(t, paytest.Options{})
	b := mqtttest.Start(t, mqtttest.Options{MaxQueuedPerStand: 64})
	var mods []func(*outbox.Config)
	if mod != nil {
		mods = append(mods, mod)
	}
	c := startDispatcher(t, w, b, nil, mods...)
	f := newFleet(t, w, b, n)
	f.startAll()
	mqtttest.WaitForWithin(t, "every stand's first sync", 2*time.Minute, func() bool {
		unsynced, _ := f.missing(nil)
		return len(unsynced) == 0
	})
	f.stopAll() // presence offline: their rows are held back
	var orders []string
	for _, amt := range []string{"1.00", "2.00"} {
		orders = append(orders, pay(t, w, amt))
	}
	// Held back (presence offline), or sent into the stands' sessions
	// where a dropped presence released them: either way, claimed.
	mqtttest.WaitFor(t, "every stand's rows claimed", func() bool {
		for _, no := range orders {
			rs, err := w.St.OutboxByRef(context.Background(), no)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rs {
				if r.Kind == model.OutboxStand && r.Attempts == 0 {
					return false
				}
			}
		}
		return true
	})

	start := time.Now()
	f.startAll()
	var unsynced, unpaid []string
	mqtttest.WaitForWithin(t, "every stand synced with its pending events after the storm", 3*time.Minute, func() bool {
		unsynced, unpaid = f.missing(orders)
		return len(unsynced) == 0 && len(unpaid) == 0
	})
	t.Logf("%d stands reconnected at once: all synced with both events in %v", n, time.Since(start).Round(time.Millisecond))
	f.mu.Lock()
	for _, id := range f.ids {
		if s := f.sync[id]; s.Pending < 0 || s.Pending > 2 {
			t.Errorf("stand %s: sync %+v, want at most its 2 pending events", id, s)
		}
	}
	f.mu.Unlock()
	// Every ack dropped on the node was made up for by a resend the stand
	// acked again: nothing is left pending.
	mqtttest.WaitForWithin(t, "every storm stand's rows delivered", 2*time.Minute, func() bool {
		for _, no := range orders {
			rs, err := w.St.OutboxByRef(context.Background(), no)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rs {
				if r.Kind == model.OutboxStand && r.StandID != paytest.StandA && r.StandID != paytest.StandB && r.State != model.OutboxDelivered {
					return false
				}
			}
		}
		return true
	})
	dropped := counterSum(t, c.link.Collectors(), "qrstand_uplink_dropped_total")
	t.Logf("all rows delivered %v after the storm began; %v uplinks dropped on the node and made up for", time.Since(start).Round(time.Millisecond), dropped)
	if mustDrop && dropped == 0 {
		t.Error("no uplink was dropped: the make-up path was not exercised")
	}
}

// counterSum adds up every series of the counter name among cs.
func counterSum(t testing.TB, cs []prometheus.Collector, name string) float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(cs...)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}
