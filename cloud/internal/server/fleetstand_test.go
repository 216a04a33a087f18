package server

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/standclient"
)

// fleetStand is an in-process stand for the fleet tests, speaking the wire
// contract as the firmware does (the cloud cannot import firmware/): hello
// and status on connect, a pair.request while unbound, and for each
// payment.paid an ack and then a ledger report. Like the firmware it
// treats a payment older than its announce window as catch-up: announced
// in the offline summary.
type fleetStand struct {
	t      testing.TB
	file   provisionFile
	window time.Duration
	client *standclient.Client
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	paper   string
	paired  bool
	pair    chan *mqtt.PairCode
	reports chan *mqtt.Ledger
	work    chan mqtt.Message
}

type provisionFile struct {
	DeviceID string `json:"device_id"`
	Secret   string `json:"secret"`
	Broker   string `json:"broker"`
}

// startFleetStand runs a stand from a provisioning file until the test
// ends or stop.
func startFleetStand(t testing.TB, file []byte, window time.Duration) *fleetStand {
	t.Helper()
	var p provisionFile
	if err := json.Unmarshal(file, &p); err != nil {
		t.Fatalf("provisioning file %q: %v", file, err)
	}
	s := &fleetStand{t: t, file: p, window: window, paper: mqtt.PaperOK,
		pair: make(chan *mqtt.PairCode, 10), reports: make(chan *mqtt.Ledger, 100)}
	s.start()
	t.Cleanup(s.stop)
	return s
}

func (s *fleetStand) start() {
	c, err := standclient.New(standclient.Config{Broker: s.file.Broker, DeviceID: s.file.DeviceID, Secret: s.file.Secret,
		StoreDir: s.t.TempDir(), MinBackoff: 50 * time.Millisecond, MaxBackoff: 500 * time.Millisecond})
	if err != nil {
		s.t.Fatal(err)
	}
	s.client = c
	s.work = make(chan mqtt.Message, 100)
	c.Handle(mqtt.KindStoreConfig, func(_ context.Context, m mqtt.Message) error {
		s.mu.Lock()
		s.paired = m.Body.(*mqtt.StoreConfig).Bound
		s.mu.Unlock()
		return nil
	})
	c.Handle(mqtt.KindPairCode, func(_ context.Context, m mqtt.Message) error { s.pair <- m.Body.(*mqtt.PairCode); return nil })
	c.Handle(mqtt.KindSync, func(context.Context, mqtt.Message) error { return nil })
	c.Handle(mqtt.KindPaymentPaid, func(_ context.Context, m mqtt.Message) error {
		s.work <- m // journaled: acked on return; announced and printed below
		return nil
	})
	c.OnConnect(func(ctx context.Context) {
		s.mu.Lock()
		paired := s.paired
		s.mu.Unlock()
		// Not from the router goroutine: Publish waits for the broker.
		go func() {
			c.Publish(ctx, &mqtt.Hello{Firmware: "fleet-test-1.0", BootID: mqtt.NewID(time.Now()), Paired: paired})
			if !paired {
				c.Publish(ctx, &mqtt.PairRequest{Firmware: "fleet-test-1.0", Printer: "58mm"})
			}
			s.sendStatus(ctx)
		}()
	})
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel, s.done = cancel, make(chan struct{})
	work := s.work
	go func() {
		defer close(s.done)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case m := <-work:
					s.finish(ctx, m)
				}
			}
		}()
		c.Run(ctx)
		wg.Wait()
	}()
}

// finish announces and prints one payment and reports it.
func (s *fleetStand) finish(ctx context.Context, m mqtt.Message) {
	b := m.Body.(*mqtt.PaymentPaid)
	journaled := time.Now()
	l := &mqtt.Ledger{Ref: m.ID, Event: m.Type, OrderNo: b.OrderNo, JournaledAt: journaled, Print: mqtt.PrintPrinted}
	l.CatchUp = journaled.Sub(b.PaidAt) > s.window
	l.Announce, l.AnnouncedAt = mqtt.AnnounceSpoken, journaled.Add(300*time.Millisecond)
	if l.CatchUp {
		l.Announce = mqtt.AnnounceSummary
	}
	l.PrintedAt = l.AnnouncedAt.Add(1500 * time.Millisecond)
	if _, err := s.client.Publish(ctx, l); err != nil && ctx.Err() == nil {
		s.t.Errorf("ledger report: %v", err)
	}
	s.reports <- l
}

func (s *fleetStand) status() *mqtt.Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return &mqtt.Status{Firmware: "fleet-test-1.0", BatteryPct: 80, OnBattery: true, Paper: s.paper, PrinterOnline: true,
		PrinterModel: "58mm", Volume: 80, Network: "wifi", SignalDBm: -58}
}

func (s *fleetStand) sendStatus(ctx context.Context) {
	if _, err := s.client.Publish(ctx, s.status()); err != nil && ctx.Err() == nil {
		s.t.Errorf("status: %v", err)
	}
}

// setPaper changes the paper state and reports it, as the firmware's poll
// does.
func (s *fleetStand) setPaper(p string) {
	s.mu.Lock()
	s.paper = p
	s.mu.Unlock()
	s.sendStatus(context.Background())
}

func (s *fleetStand) pairCode() *mqtt.PairCode {
	s.t.Helper()
	select {
	case p := <-s.pair:
		return p
	case <-time.After(15 * time.Second):
		s.t.Fatal("stand got no pairing code")
		return nil
	}
}

// stop ends the stand cleanly (its presence goes offline).
func (s *fleetStand) stop() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	<-s.done
	s.cancel = nil
}

// restart starts the stand again after stop, as after a power cycle.
func (s *fleetStand) restart() { s.start() }
