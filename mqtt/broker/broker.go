package broker

import (
	"context"
	"crypto/tls"
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
	"github.com/mochi-mqtt/server/v2/packets"
)

// Broker is a running (or runnable) embedded broker.
type Broker struct {
	cfg   Config
	ready chan struct{}

	mu      sync.Mutex
	addr    net.Addr
	tlsAddr net.Addr
	srv     *mochi.Server
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

// Addr is the address of the plain listener; valid after Ready, nil when
// there is none.
func (b *Broker) Addr() net.Addr {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.addr
}

// TLSAddr is the address of the TLS listener; valid after Ready, nil when
// there is none.
func (b *Broker) TLSAddr() net.Addr {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.tlsAddr
}

// Run serves until ctx is done, then closes every connection and the store.
// It returns nil on a clean shutdown.
func (b *Broker) Run(ctx context.Context) error {
	// mochi logs whole packets (payloads included) on some error paths;
	// everything goes through safeHandler, ours too.
	log := slog.New(newSafeHandler(b.cfg.Logger.Handler(), time.Now)).With("component", "broker")
	srv := mochi.New(&mochi.Options{
		Logger: log,
		Capabilities: func() *mochi.Capabilities {
			c := mochi.NewDefaultServerCapabilities()
			// mochi has one in-flight quota for every session; it is sized
			// for the cloud's (the order hook keeps each stand's to
			// MaxQueuedPerStand).
			c.MaximumInflight = uint16(max(b.cfg.MaxQueuedPerStand, b.cfg.MaxQueuedService))
			c.MaximumMessageExpiryInterval = 0 // see the order hook
			c.MaximumSessionExpiryInterval = uint32(b.cfg.SessionExpiry / time.Second)
			// Checked on the fixed header, before the body is allocated.
			c.MaximumPacketSize = uint32(b.cfg.MaxPacketSize)
			// No topic aliases: mochi runs the write ACL on the topic as
			// sent, before an alias is resolved. Our clients never use them.
			c.TopicAliasMaximum = 0
			return c
		}(),
		// No in-process publisher: every message comes from a client that
		// passed the ACL (InlineClient stays off).
		InlineClient: false,
	})

	if err := srv.AddHook(&authHook{cfg: &b.cfg, srv: srv, log: log}, nil); err != nil {
		return fmt.Errorf("broker: auth hook: %w", err)
	}
	order := &orderHook{srv: srv, log: log, last: map[string]int64{}, maxQueued: b.cfg.MaxQueuedPerStand}
	if err := srv.AddHook(order, nil); err != nil {
		return fmt.Errorf("broker: order hook: %w", err)
	}
	var persist mochi.Hook
	if b.cfg.DataDir != "" {
		if err := os.MkdirAll(b.cfg.DataDir, 0o700); err != nil {
			return fmt.Errorf("broker: data dir: %w", err)
		}
		persist = new(pebble.Hook)
		err := srv.AddHook(persist, &pebble.Options{
			Path:    b.cfg.DataDir,
			Mode:    pebble.Sync, // an acknowledged QoS 1 message is on disk
			Options: &pebbledb.Options{Logger: pebbleLogger{log}},
		})
		if err != nil {
			return fmt.Errorf("broker: open store %s: %w", b.cfg.DataDir, err)
		}
	}

	// Last, so that it runs after the store's hooks; see pktidHook.
	if err := srv.AddHook(&pktidHook{srv: srv, persist: persist, log: log, aside: map[*mochi.Client]packets.Packet{}}, nil); err != nil {
		return fmt.Errorf("broker: packet id hook: %w", err)
	}

	fail := func(err error, lns ...net.Listener) error {
		for _, ln := range lns {
			if ln != nil {
				ln.Close()
			}
		}
		srv.Close() // closes the store
		return err
	}
	var plain, secure net.Listener
	if ln, err := listen(b.cfg.Listener, b.cfg.Addr); err != nil {
		return fail(fmt.Errorf("broker: listen: %w", err))
	} else if ln != nil {
		plain = ln
		if err := srv.AddListener(b.listener("tcp", ln, nil, log)); err != nil {
			return fail(fmt.Errorf("broker: %w", err), plain)
		}
	}
	if b.cfg.TLSListener != nil || b.cfg.TLSAddr != "" {
		certs, err := newCertReloader(b.cfg.TLSCertFile, b.cfg.TLSKeyFile, log)
		if err != nil {
			return fail(err, plain, b.cfg.TLSListener)
		}
		ln, err := listen(b.cfg.TLSListener, b.cfg.TLSAddr)
		if err != nil {
			return fail(fmt.Errorf("broker: listen TLS: %w", err), plain)
		}
		secure = ln
		if err := srv.AddListener(b.listener("tls", ln, certs.tlsConfig(), log)); err != nil {
			return fail(fmt.Errorf("broker: %w", err), plain, secure)
		}
	}
	if err := srv.Serve(); err != nil {
		return fail(fmt.Errorf("broker: serve: %w", err), plain, secure)
	}
	order.seed()

	b.mu.Lock()
	if plain != nil {
		b.addr = plain.Addr()
		log.Info("mqtt broker listening", "addr", plain.Addr().String(), "tls", false, "persistent", b.cfg.DataDir != "")
	}
	if secure != nil {
		b.tlsAddr = secure.Addr()
		log.Info("mqtt broker listening", "addr", secure.Addr().String(), "tls", true, "persistent", b.cfg.DataDir != "")
	}
	b.srv = srv
	b.mu.Unlock()
	close(b.ready)

	<-ctx.Done()
	b.mu.Lock()
	b.srv = nil
	b.mu.Unlock()
	log.Info("mqtt broker stopping")
	return srv.Close()
}

func (b *Broker) listener(id string, ln net.Listener, tc *tls.Config, log *slog.Logger) *netListener {
	return &netListener{id: id, ln: ln, tls: tc, connectTimeout: b.cfg.ConnectTimeout,
		pending: make(chan struct{}, b.cfg.MaxPendingConnects), log: log}
}

// listen returns ln if set, else listens on addr if set, else nil.
func listen(ln net.Listener, addr string) (net.Listener, error) {
	switch {
	case ln != nil:
		return ln, nil
	case addr != "":
		return net.Listen("tcp", addr)
	}
	return nil, nil
}

// netListener serves mochi from a net.Listener we opened, so callers (and
// tests on port 0) know the real address.
// Each accepted connection gets a deadline of connectTimeout: mochi reads
// the CONNECT without one (and a TLS handshake happens inside that read),
// so a silent socket would otherwise stay open for ever. mochi replaces the
// deadline with the client's keepalive once the CONNECT is read.
//
// At most cap(pending) accepted connections may be waiting for their
// CONNECT; a slot is freed when mochi first sets the connection's deadline
// (right after reading CONNECT) or closes it.
type netListener struct {
	id             string
	ln             net.Listener
	tls            *tls.Config // nil: plain TCP
	connectTimeout time.Duration
	pending        chan struct{}
	log            *slog.Logger
	once           sync.Once
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
		select {
		case l.pending <- struct{}{}:
		default:
			l.log.Warn("mqtt connection refused: too many connections waiting for CONNECT",
				"remote", conn.RemoteAddr().String(), "listener", l.id, "limit", cap(l.pending))
			conn.Close()
			continue
		}
		_ = conn.SetDeadline(time.Now().Add(l.connectTimeout))
		conn = &pendingConn{Conn: conn, release: func() { <-l.pending }}
		if l.tls != nil {
			conn = tls.Server(conn, l.tls) // handshakes on the first read, under the deadline
		}
		go func() { _ = establish(l.id, conn) }()
	}
}

// pendingConn frees its listener's pending slot once: on the first
// SetDeadline (mochi's, after CONNECT) or on Close.
type pendingConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *pendingConn) done() { c.once.Do(c.release) }

func (c *pendingConn) SetDeadline(t time.Time) error {
	c.done()
	return c.Conn.SetDeadline(t)
}

func (c *pendingConn) Close() error {
	c.done()
	return c.Conn.Close()
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
