package nodelink_test

import (
	"context"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/qrstand/qrstand/cloud/internal/nodelink"
	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/mqtttest"
)

// One message is decoded once and offered to every queue of its kind; a
// full queue drops it, counts it and tells its owner, without holding up
// the others (the second queue gets all of them).
func TestRouteAndDrop(t *testing.T) {
	b := mqtttest.Start(t, mqtttest.Options{})
	link, err := nodelink.New(nodelink.Config{User: mqtttest.ServiceUser, Secret: b.ServiceSecret, StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var dropped []mqtt.Kind
	full := nodelink.NewQueue(nodelink.QueueConfig{Name: "full", Workers: 1, Len: 1, Dropped: func(u nodelink.Uplink) {
		mu.Lock()
		dropped = append(dropped, u.Kind())
		mu.Unlock()
	}})
	all := nodelink.NewQueue(nodelink.QueueConfig{Name: "all", Workers: 2, Len: 64})
	link.Route(full, mqtt.KindStatus)
	link.Route(all, mqtt.KindStatus, mqtt.KindPresence, mqtt.KindHello)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go link.Run(ctx, b.URL)
	mqtttest.WaitFor(t, "link connected", link.Connected)

	got := make(chan nodelink.Uplink, 64)
	go all.Serve(ctx, func(_ context.Context, u nodelink.Uplink) { got <- u })
	// full is never served: its one slot fills.

	const id = "stand-0001"
	s := mqtttest.StartStand(t, b, id, b.AddStand(id))
	mqtttest.WaitFor(t, "stand connected", s.Client().Connected)
	for range 3 {
		if _, err := s.Client().Publish(ctx, &mqtt.Status{Firmware: "t", BatteryPct: 50, Paper: mqtt.PaperOK}); err != nil {
			t.Fatal(err)
		}
	}
	var statuses, presences, hellos int
	for statuses < 3 || presences < 1 || hellos < 1 {
		u := <-got
		if u.Stand != id {
			t.Fatalf("uplink of %q", u.Stand)
		}
		switch u.Kind() {
		case mqtt.KindStatus:
			statuses++
		case mqtt.KindPresence:
			presences++
		case mqtt.KindHello:
			hellos++
		}
	}
	if full.Len() != 1 {
		t.Errorf("full queue holds %d, want 1", full.Len())
	}
	mu.Lock()
	if len(dropped) != 2 || dropped[0] != mqtt.KindStatus {
		t.Errorf("dropped %v, want two statuses", dropped)
	}
	mu.Unlock()
	if n := counter(t, link.Collectors(), "qrstand_uplink_dropped_total"); n != 2 {
		t.Errorf("qrstand_uplink_dropped_total = %v, want 2", n)
	}
}

func counter(t *testing.T, cs []prometheus.Collector, name string) float64 {
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
