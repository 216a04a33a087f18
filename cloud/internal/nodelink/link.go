package nodelink

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/pahostore"
)

// ErrNotConnected is what Publish returns while the link is down.
var ErrNotConnected = errors.New("nodelink: not connected")

// Config configures a Link.
type Config struct {
	// User and Secret are the cloud's service identity. Required.
	User, Secret string
	// ClientID is this node's client id: User, or User + "-" + something
	// unique per node. Default User.
	ClientID string
	// Group, when set, shares the uplink subscription between the nodes of
	// the group ($share/<Group>/qrs/v1/d/+/up): each uplink goes to one of
	// them. A shared subscriber connects with a clean session: brokers keep
	// routing a share of the uplinks to a dead node's persistent session.
	// Empty subscribes plainly with a persistent session (one node: the
	// broker keeps uplinks for it while it restarts).
	Group string
	// StoreDir keeps the client's in-flight messages (mqtt/pahostore).
	// Empty means paho's memory store.
	StoreDir string
	// Results bounds the publishes whose result is waited for at once
	// (default 8192); beyond it a result is not logged.
	Results int
	Log     *slog.Logger
}

// Link is a node's MQTT client. Register queues with Route and connect
// hooks with OnConnect, then Run.
type Link struct {
	cfg       Config
	upFilter  string
	routes    map[mqtt.Kind][]*Queue
	onConnect []func()
	results   chan result

	mu     sync.RWMutex
	client paho.Client

	m metrics
}

type result struct {
	tok   paho.Token
	topic string
}

// New checks cfg and returns a link.
func New(cfg Config) (*Link, error) {
	if cfg.User == "" || cfg.Secret == "" {
		return nil, errors.New("nodelink: User and Secret are required")
	}
	if cfg.ClientID == "" {
		cfg.ClientID = cfg.User
	}
	if cfg.ClientID != cfg.User && !strings.HasPrefix(cfg.ClientID, cfg.User+"-") {
		return nil, errors.New("nodelink: ClientID must be User or start with User + \"-\"")
	}
	if strings.ContainsAny(cfg.Group, "/+#") {
		return nil, errors.New("nodelink: Group may not contain '/', '+' or '#'")
	}
	if cfg.Results <= 0 {
		cfg.Results = 8192
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	up := UpFilter
	if cfg.Group != "" {
		up = "$share/" + cfg.Group + "/" + up
	}
	return &Link{cfg: cfg, upFilter: up, routes: map[mqtt.Kind][]*Queue{}, results: make(chan result, cfg.Results), m: newMetrics()}, nil
}

// The topic filters of every stand's uplinks and presence.
var (
	UpFilter    = mqtt.TopicPrefix + "+/" + string(mqtt.ChannelUp)
	StateFilter = mqtt.TopicPrefix + "+/" + string(mqtt.ChannelState)
)

// Route hands uplinks of the given kinds to q (presence for the state
// topic). An uplink routed to several queues is offered to each. Call
// before Run.
func (l *Link) Route(q *Queue, kinds ...mqtt.Kind) {
	for _, k := range kinds {
		l.routes[k] = append(l.routes[k], q)
	}
}

// OnConnect registers f to run after every connect, once subscribed. It
// runs on paho's goroutine and must return at once (e.g. a Kick). Call
// before Run.
func (l *Link) OnConnect(f func()) { l.onConnect = append(l.onConnect, f) }

// Connected reports whether the connection is up.
func (l *Link) Connected() bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.client != nil && l.client.IsConnectionOpen()
}

// Publish sends payload on topic with QoS 1. It does not wait for the
// PUBACK; the link's own goroutine logs a failure. It may wait while
// paho's writer is busy, so never call it from a paho callback.
func (l *Link) Publish(topic string, retained bool, payload []byte) error {
	l.mu.RLock()
	c := l.client
	l.mu.RUnlock()
	if c == nil || !c.IsConnectionOpen() {
		return ErrNotConnected
	}
	tok := c.Publish(topic, 1, retained, payload)
	select {
	case l.results <- result{tok, topic}:
	default:
		l.m.untracked.Inc()
	}
	return nil
}

// Run connects to broker (e.g. "tcp://127.0.0.1:1884"), retrying until it
// can, and serves until ctx is done.
func (l *Link) Run(ctx context.Context, broker string) error {
	if broker == "" {
		return errors.New("nodelink: no broker URL")
	}
	opts := paho.NewClientOptions().AddBroker(broker).
		SetClientID(l.cfg.ClientID).SetUsername(l.cfg.User).SetPassword(l.cfg.Secret).
		SetCleanSession(l.cfg.Group != "").SetAutoReconnect(true).SetConnectRetry(true).
		SetConnectRetryInterval(time.Second).SetMaxReconnectInterval(10 * time.Second).
		// The handler only decodes and queues, so running it on the router
		// goroutine costs nothing and keeps each stand's uplinks in order
		// up to the queues (which keep it per stand).
		SetOrderMatters(true)
	if l.cfg.StoreDir != "" {
		// Not paho's FileStore: it panics when the disk is full.
		opts.SetStore(pahostore.New(l.cfg.StoreDir, l.cfg.Log))
	}
	opts.SetOnConnectHandler(func(c paho.Client) {
		// Resubscribe on every connect: the session may be new.
		filters := map[string]byte{l.upFilter: 1, StateFilter: 1}
		tok := c.SubscribeMultiple(filters, l.onMessage)
		if tok.WaitTimeout(10*time.Second) && tok.Error() != nil {
			l.cfg.Log.Error("nodelink: subscribe", "filters", []string{l.upFilter, StateFilter}, "err", tok.Error())
		}
		l.cfg.Log.Info("nodelink: connected", "broker", broker, "client", l.cfg.ClientID, "up", l.upFilter)
		for _, f := range l.onConnect {
			f()
		}
	})
	// Messages a persistent session delivers before the SUBACK.
	opts.SetDefaultPublishHandler(l.onMessage)
	c := paho.NewClient(opts)
	l.mu.Lock()
	l.client = c
	l.mu.Unlock()
	c.Connect() // retries in the background until ctx ends

	done := make(chan struct{})
	go func() { defer close(done); l.waitResults(ctx) }()
	<-ctx.Done()
	<-done
	c.Disconnect(250)
	return nil
}

// waitResults logs failed publishes until ctx is done.
func (l *Link) waitResults(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case r := <-l.results:
			select {
			case <-r.tok.Done():
			case <-ctx.Done():
				return
			case <-time.After(30 * time.Second):
				l.cfg.Log.Warn("nodelink: publish unconfirmed after 30 s", "topic", r.topic)
				continue
			}
			if err := r.tok.Error(); err != nil {
				l.m.publishFailed.Inc()
				l.cfg.Log.Warn("nodelink: publish", "topic", r.topic, "err", err)
			}
		}
	}
}

// onMessage decodes one message and offers it to the queues of its kind.
// It runs on paho's router goroutine and never waits.
func (l *Link) onMessage(_ paho.Client, pm paho.Message) {
	u, err := Decode(pm.Topic(), pm.Payload(), pm.Retained())
	if err != nil {
		l.m.bad.Inc()
		l.cfg.Log.Warn("nodelink: bad uplink", "topic", pm.Topic(), "err", err)
		return
	}
	k := u.Kind()
	l.m.received.WithLabelValues(string(k)).Inc()
	for _, q := range l.routes[k] {
		if !q.offer(u) {
			l.m.dropped.WithLabelValues(q.Name(), string(k)).Inc()
			l.cfg.Log.Warn("nodelink: queue full; uplink dropped", "queue", q.Name(), "stand", u.Stand, "kind", k)
		}
	}
}
