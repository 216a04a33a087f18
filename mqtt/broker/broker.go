package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	pebbledb "github.com/cockroachdb/pebble"
	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/storage/pebble"
	"github.com/mochi-mqtt/server/v2/listeners"
)

// Broker is a running (or runnable) embedded broker.
type Broker struct {
	cfg   Config
	ready chan struct{}

	mu   sync.Mutex
	addr net.Addr
	srv  *mochi.Server // set while running
}

// New checks cfg and returns a broker ready to Run.
func New(cfg Config) (*Broker, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.ServiceUser != "" && !strings.Contains(cfg.ServiceUser, "_") {
		// Device ids cannot contain '_', so a service client id can never
		// collide with (and take over) a stand's session.
		return nil, fmt.Errorf("broker: ServiceUser %q must contain '_'", cfg.ServiceUser)
	}
	return &Broker{cfg: cfg, ready: make(chan struct{})}, nil
}

// Ready is closed once the broker accepts connections.
func (b *Broker) Ready() <-chan struct{} { return b.ready }

// Addr is the address the broker listens on; valid after Ready.
func (b *Broker) Addr() net.Addr {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.addr
}

// Run serves until ctx is done, then closes every connection and the store.
// It returns nil on a clean shutdown.
func (b *Broker) Run(ctx context.Context) error {
	log := b.cfg.Logger.With("component", "broker")
	srv := mochi.New(&mochi.Options{
		Logger: log,
		Capabilities: func() *mochi.Capabilities {
			c := mochi.NewDefaultServerCapabilities()
			c.MaximumInflight = uint16(b.cfg.MaxQueuedPerStand)
			c.MaximumMessageExpiryInterval = 0 // see the order hook
			c.MaximumSessionExpiryInterval = uint32(b.cfg.SessionExpiry / time.Second)
			return c
		}(),
	})

	if err := srv.AddHook(&authHook{cfg: &b.cfg, log: log}, nil); err != nil {
		return fmt.Errorf("broker: auth hook: %w", err)
	}
	order := &orderHook{srv: srv, log: log, last: map[string]int64{}}
	if err := srv.AddHook(order, nil); err != nil {
		return fmt.Errorf("broker: order hook: %w", err)
	}
	if b.cfg.DataDir != "" {
		if err := os.MkdirAll(b.cfg.DataDir, 0o700); err != nil {
			return fmt.Errorf("broker: data dir: %w", err)
		}
		err := srv.AddHook(new(pebble.Hook), &pebble.Options{
			Path:    b.cfg.DataDir,
			Mode:    pebble.Sync, // an acknowledged QoS 1 message is on disk
			Options: &pebbledb.Options{Logger: pebbleLogger{log}},
		})
		if err != nil {
			return fmt.Errorf("broker: open store %s: %w", b.cfg.DataDir, err)
		}
	}

	ln := b.cfg.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", b.cfg.Addr); err != nil {
			srv.Close() // closes the store
			return fmt.Errorf("broker: listen: %w", err)
		}
	}
	if err := srv.AddListener(&netListener{id: "tcp", ln: ln}); err != nil {
		ln.Close()
		srv.Close()
		return fmt.Errorf("broker: %w", err)
	}
	if err := srv.Serve(); err != nil {
		srv.Close()
		return fmt.Errorf("broker: serve: %w", err)
	}
	order.seed()

	b.mu.Lock()
	b.addr = ln.Addr()
	b.srv = srv
	b.mu.Unlock()
	close(b.ready)
	log.Info("mqtt broker listening", "addr", ln.Addr().String(), "persistent", b.cfg.DataDir != "")

	<-ctx.Done()
	b.mu.Lock()
	b.srv = nil
	b.mu.Unlock()
	log.Info("mqtt broker stopping")
	return srv.Close()
}

// netListener serves mochi from a net.Listener we opened, so callers (and
// tests on port 0) know the real address.
type netListener struct {
	id   string
	ln   net.Listener
	once sync.Once
}

func (l *netListener) ID() string              { return l.id }
func (l *netListener) Address() string         { return l.ln.Addr().String() }
func (l *netListener) Protocol() string        { return "tcp" }
func (l *netListener) Init(*slog.Logger) error { return nil }
func (l *netListener) Serve(establish listeners.EstablishFn) {
	for {
		conn, err := l.ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				time.Sleep(10 * time.Millisecond) // transient (e.g. EMFILE): back off, keep serving
				continue
			}
			return
		}
		go func() { _ = establish(l.id, conn) }()
	}
}
func (l *netListener) Close(closeClients listeners.CloseFn) {
	l.once.Do(func() { _ = l.ln.Close() })
	closeClients(l.id)
}

// pebbleLogger sends pebble's chatter (WAL replay and the like) to slog at
// debug level instead of the standard logger.
type pebbleLogger struct{ log *slog.Logger }

func (l pebbleLogger) Infof(format string, args ...any) {
	l.log.Debug("pebble: " + fmt.Sprintf(format, args...))
}

// Fatalf is called by pebble on unrecoverable store corruption; it must not
// return.
func (l pebbleLogger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	l.log.Error("pebble: fatal: " + msg)
	panic("broker: pebble: " + msg)
}
