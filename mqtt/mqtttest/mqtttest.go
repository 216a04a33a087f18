// Package mqtttest starts the embedded broker on a random loopback port for
// other packages' tests, with an in-memory stand registry and a service
// identity, and can restart it on the same port and data directory.
//
// Beside the broker it holds the one fake of each peer, both speaking only
// the wire: Cloud (a service-identity client that publishes events and
// counts acks; stand tests use it without importing cloud/) and Stand (the
// real stand client with an in-memory journal; cloud tests use it without
// importing firmware/). WaitFor waits for a fact; to prove that something
// did not happen, send a marker event that is processed after it and wait
// for the marker.
package mqtttest

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/broker"
)

// ServiceUser is the cloud identity every test broker accepts.
const ServiceUser = "qrstand_cloud"

// Broker is a running test broker.
type Broker struct {
	// Addr is host:port; URL is tcp://host:port.
	Addr, URL string
	// ServiceSecret is the password for ServiceUser.
	ServiceSecret string
	// DataDir is the broker's persistent store (empty when not persistent).
	DataDir string

	t      testing.TB
	log    *slog.Logger
	mu     sync.Mutex
	stands map[string]string // id → hash
	cancel context.CancelFunc
	done   chan error

	maxQueued int
}

// Options tune Start.
type Options struct {
	// Persistent keeps sessions in a pebble store under t.TempDir(), so
	// Restart keeps queued messages.
	Persistent bool
	// Logger receives the broker's logs (default: discarded, unless the
	// QRSTAND_TEST_LOG environment variable is set).
	Logger *slog.Logger
	// MaxQueuedPerStand is broker.Config's (default: the broker's). A
	// small one lets a test reach quotas with a small fleet.
	MaxQueuedPerStand int
}

// Start runs a broker until the test ends.
func Start(t testing.TB, opts Options) *Broker {
	t.Helper()
	b := &Broker{
		t:             t,
		log:           opts.Logger,
		stands:        map[string]string{},
		ServiceSecret: mqtt.NewSecret(),
		maxQueued:     opts.MaxQueuedPerStand,
	}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
		if os.Getenv("QRSTAND_TEST_LOG") != "" {
			b.log = slog.New(slog.NewTextHandler(os.Stderr, nil))
		}
	}
	if opts.Persistent {
		b.DataDir = t.TempDir()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mqtttest: listen: %v", err)
	}
	b.Addr = ln.Addr().String()
	b.URL = "tcp://" + b.Addr
	b.start(ln)
	t.Cleanup(b.Stop)
	return b
}

// AddStand registers a stand and returns its secret.
func (b *Broker) AddStand(id string) string {
	secret := mqtt.NewSecret()
	b.mu.Lock()
	b.stands[id] = mqtt.HashSecret(secret)
	b.mu.Unlock()
	return secret
}

// Lookup is the StandLookup the broker uses.
func (b *Broker) Lookup(_ context.Context, id string) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	h, ok := b.stands[id]
	if !ok {
		return "", broker.ErrUnknownStand
	}
	return h, nil
}

func (b *Broker) start(ln net.Listener) {
	b.t.Helper()
	br, err := broker.New(broker.Config{
		Listener:          ln,
		DataDir:           b.DataDir,
		Stands:            broker.StandLookupFunc(b.Lookup),
		ServiceUser:       ServiceUser,
		ServiceSecretHash: mqtt.HashSecret(b.ServiceSecret),
		MaxQueuedPerStand: b.maxQueued,
		Logger:            b.log,
	})
	if err != nil {
		b.t.Fatalf("mqtttest: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- br.Run(ctx) }()
	select {
	case <-br.Ready():
	case err := <-done:
		cancel()
		b.t.Fatalf("mqtttest: broker did not start: %v", err)
	case <-time.After(10 * time.Second):
		cancel()
		b.t.Fatalf("mqtttest: broker did not start in 10s")
	}
	b.mu.Lock()
	b.cancel, b.done = cancel, done
	b.mu.Unlock()
}

// Stop shuts the broker down and waits for it. Safe to call twice.
func (b *Broker) Stop() {
	b.mu.Lock()
	cancel, done := b.cancel, b.done
	b.cancel, b.done = nil, nil
	b.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	if err := <-done; err != nil {
		b.t.Errorf("mqtttest: broker stopped with error: %v", err)
	}
}

// Restart stops the broker and starts it again on the same address and
// data directory.
func (b *Broker) Restart() {
	b.t.Helper()
	b.Stop()
	var ln net.Listener
	var err error
	for i := 0; i < 50; i++ { // the old socket may take a moment to go
		if ln, err = net.Listen("tcp", b.Addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		b.t.Fatalf("mqtttest: relisten on %s: %v", b.Addr, err)
	}
	b.start(ln)
}

// String is for test logs.
func (b *Broker) String() string { return fmt.Sprintf("mqtttest broker at %s", b.Addr) }
