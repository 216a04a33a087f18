package mqtttest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/standclient"
)

// Stand is a test stand-in for a stand on the MQTT side: the real stand
// client (mqtt/standclient) with an in-memory journal. The journal holds
// the events a stand keeps (payment.paid, payment.refunded, shift.closed,
// sync): an event id is handled once, a repeat is a duplicate (acked as
// such, nothing else). Every other downlink (store.config, pair.code,
// stand.command) is handled on each delivery, as state. It says hello on
// every connect with the last seq it holds and whether its last
// store.config was bound, as a stand does. It speaks only the wire, so
// cloud tests use it without importing firmware/.
type Stand struct {
	// ID is the stand's device id.
	ID string

	t      testing.TB
	url    string
	secret string
	dir    string // the client's store, kept across Restart

	mu     sync.Mutex
	c      *standclient.Client // this life's client
	seen   map[string]bool
	got    []mqtt.Message // every journaled event, in order, duplicates excluded
	dups   int
	bound  bool // the last store.config bound the stand to a store
	events chan mqtt.Message
	cancel context.CancelFunc
	done   chan struct{}
}

// journaled are the kinds a stand keeps in its journal, once per event id.
var journaled = []mqtt.Kind{mqtt.KindPaymentPaid, mqtt.KindPaymentRefunded, mqtt.KindShiftClosed, mqtt.KindSync}

// StartStand connects stand id (registered on b with secret) until the
// test ends or Stop.
func StartStand(t testing.TB, b *Broker, id, secret string) *Stand {
	t.Helper()
	return DialStand(t, b.URL, id, secret)
}

// DialStand connects stand id with secret to any broker at url
// (tcp://host:port), e.g. the cloud's embedded one, until the test ends or
// Stop.
func DialStand(t testing.TB, url, id, secret string) *Stand {
	t.Helper()
	// A file store, as on a real stand. (With the in-memory store, paho's
	// resume() sets DUP on the very packet object its writer goroutine is
	// sending — a data race inside paho v1.5.1 the race detector reports.)
	s := &Stand{ID: id, t: t, url: url, secret: secret, dir: t.TempDir(), seen: map[string]bool{}}
	s.start()
	return s
}

// Restart stops the stand (a clean shutdown: presence offline) if it runs
// and starts it again with the same journal and client store, as a reboot
// does. It returns s.
func (s *Stand) Restart() *Stand {
	s.t.Helper()
	s.Stop()
	s.start()
	return s
}

func (s *Stand) start() {
	t := s.t
	t.Helper()
	c, err := standclient.New(standclient.Config{Broker: s.url, DeviceID: s.ID, Secret: s.secret, StoreDir: s.dir,
		MinBackoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	journal := func(ctx context.Context, m mqtt.Message) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.seen[m.ID] {
			s.dups++
			return standclient.ErrDuplicate
		}
		s.seen[m.ID] = true
		s.got = append(s.got, m)
		s.events <- m
		return nil
	}
	for _, k := range journaled {
		c.Handle(k, journal)
	}
	state := func(ctx context.Context, m mqtt.Message) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		if cfg, ok := m.Body.(*mqtt.StoreConfig); ok {
			s.bound = cfg.Bound
		}
		s.events <- m
		return nil
	}
	for _, k := range []mqtt.Kind{mqtt.KindStoreConfig, mqtt.KindPairCode, mqtt.KindStandCommand} {
		c.Handle(k, state)
	}
	c.OnConnect(func(ctx context.Context) {
		s.mu.Lock()
		var last int64
		for _, m := range s.got {
			last = max(last, m.Seq)
		}
		paired := s.bound
		s.mu.Unlock()
		if _, err := c.Publish(ctx, &mqtt.Hello{Firmware: "test", BootID: "boot-1", Paired: paired, LastSeq: last}); err != nil {
			t.Logf("mqtttest: stand %s: hello: %v", s.ID, err)
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	s.mu.Lock()
	s.events = make(chan mqtt.Message, 100000)
	s.cancel, s.done, s.c = cancel, done, c
	s.mu.Unlock()
	go func() { defer close(done); c.Run(ctx) }()
	t.Cleanup(s.Stop)
}

// Stop ends the stand's client and waits for it. Safe to call twice.
func (s *Stand) Stop() {
	s.mu.Lock()
	cancel, done := s.cancel, s.done
	s.cancel, s.done = nil, nil
	s.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-done
}

// Next waits for the next message of kind handled in this life of the
// stand, skipping others, and fails the test after Wait.
func (s *Stand) Next(kind mqtt.Kind) mqtt.Message {
	s.t.Helper()
	return s.NextWhere(kind, nil)
}

// NextWhere is Next for the next message of kind that match accepts (any,
// when match is nil).
func (s *Stand) NextWhere(kind mqtt.Kind, match func(mqtt.Message) bool) mqtt.Message {
	s.t.Helper()
	s.mu.Lock()
	events := s.events
	s.mu.Unlock()
	deadline := time.After(Wait)
	for {
		select {
		case m := <-events:
			if m.Type == kind && (match == nil || match(m)) {
				return m
			}
		case <-deadline:
			s.t.Fatalf("mqtttest: stand %s: no matching %s within %v", s.ID, kind, Wait)
		}
	}
}

// Send publishes body as the stand once it is connected (hello sent or
// not), and fails the test if the broker does not take it within Wait.
func (s *Stand) Send(body mqtt.Body) mqtt.Message {
	s.t.Helper()
	c := s.Client()
	WaitFor(s.t, "stand "+s.ID+" connected", c.Connected)
	ctx, cancel := context.WithTimeout(context.Background(), Wait)
	defer cancel()
	m, err := c.Publish(ctx, body)
	if err != nil {
		s.t.Fatalf("mqtttest: stand %s: %v", s.ID, err)
	}
	return m
}

// Got returns every journaled event so far, in order, duplicates excluded.
func (s *Stand) Got() []mqtt.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]mqtt.Message(nil), s.got...)
}

// Dups counts the deliveries that were duplicates of a handled event.
func (s *Stand) Dups() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dups
}

// Client is the stand's client in this life, to publish as the stand.
func (s *Stand) Client() *standclient.Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.c
}

// LoseTail cuts the stand's journal down to its first n payments, as a lost
// journal tail or a replaced SD card would: the next hello says a lower
// last seq. Call it while the stand is stopped, then Restart.
func (s *Stand) LoseTail(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen = map[string]bool{}
	var kept []mqtt.Message
	for _, m := range s.got {
		if m.Type != mqtt.KindPaymentPaid {
			continue
		}
		if len(kept) == n {
			break
		}
		kept = append(kept, m)
		s.seen[m.ID] = true
	}
	s.got = kept
}
