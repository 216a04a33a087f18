package standclient

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/pahostore"
)

// Config is a stand client's configuration.
type Config struct {
	// Broker is the broker URL: mqtts://host:8883 (TLS; ssl:// and tls://
	// mean the same) or tcp://host:1883 (plain, for a broker on this
	// machine or a trusted network).
	Broker string
	// DeviceID and Secret are the stand's credentials.
	DeviceID string
	Secret   string
	// StoreDir keeps unacknowledged outgoing messages across restarts.
	// Empty means in memory (tests).
	StoreDir string
	// CA is the PEM certificate(s) the TLS broker's certificate must chain
	// to (a pinned CA); empty means the system roots.
	CA []byte
	// TLS, if set, replaces the configuration built from CA for a TLS
	// broker; it may not skip verification.
	TLS *tls.Config

	// KeepAlive is the MQTT keepalive (default 60 s; a battery stand may
	// use minutes to save radio wakeups).
	KeepAlive time.Duration
	// MinBackoff and MaxBackoff bound the reconnect delay (defaults 1 s and
	// 2 min); each attempt waits a random time up to the current bound.
	MinBackoff, MaxBackoff time.Duration
	// PublishTimeout bounds Publish when the caller's context has no
	// deadline (default 10 s).
	PublishTimeout time.Duration

	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

func (c *Config) setDefaults() {
	if c.KeepAlive == 0 {
		c.KeepAlive = 60 * time.Second
	}
	if c.MinBackoff == 0 {
		c.MinBackoff = time.Second
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = 2 * time.Minute
	}
	if c.PublishTimeout == 0 {
		c.PublishTimeout = 10 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Validate reports the first problem with c.
func (c *Config) Validate() error {
	switch {
	case c.Broker == "":
		return errors.New("standclient: Broker URL is required")
	case !mqtt.ValidDeviceID(c.DeviceID):
		return fmt.Errorf("standclient: invalid device id %q", c.DeviceID)
	case c.Secret == "":
		return errors.New("standclient: Secret is required")
	case c.MinBackoff <= 0 || c.MaxBackoff < c.MinBackoff:
		return errors.New("standclient: need 0 < MinBackoff <= MaxBackoff")
	}
	_, err := tlsFor(c)
	return err
}

// HandlerFunc handles one message. Returning nil means the message is
// durable (e.g. journaled) and may be acknowledged; an error leaves it
// unacknowledged for redelivery. Handlers run one at a time, in arrival
// order.
type HandlerFunc func(ctx context.Context, m mqtt.Message) error

// Client is a stand's connection to the cloud.
type Client struct {
	cfg   Config
	log   *slog.Logger
	pc    paho.Client
	lost  chan error
	store *pahostore.Store // nil: in memory

	mu        sync.Mutex
	handlers  map[mqtt.Kind]HandlerFunc
	onConnect []func(ctx context.Context)
	onLost    []func(err error)
	runCtx    context.Context
}

// New returns a client; call Handle and OnConnect, then Run.
func New(cfg Config) (*Client, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &Client{
		cfg:      cfg,
		log:      cfg.Logger.With("component", "standclient", "stand", cfg.DeviceID),
		lost:     make(chan error, 1),
		handlers: map[mqtt.Kind]HandlerFunc{},
		runCtx:   context.Background(),
	}
	will, err := mqtt.New(&mqtt.Presence{Online: false, Reason: "lost"}, cfg.Now()).Marshal()
	if err != nil {
		return nil, err
	}
	var store paho.Store = paho.NewMemoryStore()
	if cfg.StoreDir != "" {
		if err := os.MkdirAll(cfg.StoreDir, 0o700); err != nil {
			return nil, fmt.Errorf("standclient: store dir: %w", err)
		}
		// Not paho's FileStore: it panics when the disk is full.
		c.store = pahostore.New(cfg.StoreDir, c.log)
		store = c.store
	}
	opts := paho.NewClientOptions().
		AddBroker(cfg.Broker).
		SetClientID(cfg.DeviceID).
		SetUsername(cfg.DeviceID).
		SetPassword(cfg.Secret).
		// The broker keeps our QoS 1 messages while we are away [MQTT-3.1.2-5].
		SetCleanSession(false).
		SetStore(store).
		// The broker keeps a topic's order [MQTT-4.6.0-6]; so do we. PUBACK
		// only once handled, else the broker redelivers [MQTT-4.4.0-1].
		SetOrderMatters(true).
		SetAutoAckDisabled(true).
		SetAutoReconnect(false). // Run reconnects, with jitter
		SetKeepAlive(cfg.KeepAlive).
		SetPingTimeout(10*time.Second).
		SetConnectTimeout(15*time.Second).
		SetWriteTimeout(15*time.Second).
		SetProtocolVersion(4). // MQTT 3.1.1
		// A retained "offline" when the connection is lost without a
		// DISCONNECT [MQTT-3.1.2-8], [MQTT-3.1.2-17].
		SetBinaryWill(mqtt.StateTopic(cfg.DeviceID), will, 1, true).
		SetDefaultPublishHandler(c.dispatch).
		SetOnConnectHandler(c.connected).
		SetConnectionLostHandler(func(_ paho.Client, err error) {
			select {
			case c.lost <- err:
			default:
			}
			c.mu.Lock()
			hooks := append([]func(error){}, c.onLost...)
			c.mu.Unlock()
			for _, f := range hooks {
				go f(err)
			}
		})
	if tc, err := tlsFor(&cfg); err != nil {
		return nil, err
	} else if tc != nil {
		opts.SetTLSConfig(tc)
	}
	c.pc = paho.NewClient(opts)
	return c, nil
}

// Handle registers h for messages of kind k. Register before Run.
func (c *Client) Handle(k mqtt.Kind, h HandlerFunc) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.handlers[k] = h
}

// OnConnect registers f to run (in its own goroutine) after every
// successful connect, once the stand's subscriptions are granted, e.g. to
// send hello. Register before Run.
func (c *Client) OnConnect(f func(ctx context.Context)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.onConnect = append(c.onConnect, f)
}

// OnConnectionLost registers f to run (in its own goroutine) whenever an
// established connection is lost, so a caller can show it at once instead
// of polling Connected. Register before Run.
func (c *Client) OnConnectionLost(f func(err error)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.onLost = append(c.onLost, f)
}

// StoreErr reports why the store directory is behind (a full or failing
// disk): the in-flight messages are then kept in memory only, and written
// when the disk takes them again. nil when all is on disk.
func (c *Client) StoreErr() error {
	if c.store == nil {
		return nil
	}
	return c.store.Err()
}

// Connected reports whether the client is connected now.
func (c *Client) Connected() bool { return c.pc.IsConnectionOpen() }

// Run connects and stays connected until ctx is done, reconnecting with
// backoff. On the way out it marks the stand offline and disconnects. It
// returns nil when ctx ends.
func (c *Client) Run(ctx context.Context) error {
	c.mu.Lock()
	c.runCtx = ctx
	c.mu.Unlock()

	backoff := c.cfg.MinBackoff
	for {
		err := c.connect(ctx)
		if err == nil {
			backoff = c.cfg.MinBackoff
			select {
			case <-ctx.Done():
				c.shutdown()
				return nil
			case err = <-c.lost:
				c.log.Warn("mqtt connection lost", "err", err)
			}
		} else {
			c.log.Warn("mqtt connect failed", "err", err, "retry_within", backoff)
		}
		// Full jitter: wait a random time in [0, backoff).
		wait := time.Duration(rand.Int64N(int64(backoff)) + 1)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		backoff = min(backoff*2, c.cfg.MaxBackoff)
	}
}

func (c *Client) connect(ctx context.Context) error {
	tok := c.pc.Connect()
	select {
	case <-tok.Done():
		return tok.Error()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// connected runs in paho's goroutine after CONNACK. It subscribes, and only
// once the broker has granted the subscriptions does it mark the stand
// online and run the OnConnect hooks: a hello must not make the cloud flush
// events into a brand-new session before it is subscribed.
func (c *Client) connected(pc paho.Client) {
	id := c.cfg.DeviceID
	subs := map[string]byte{mqtt.DownTopic(id): 1, mqtt.ConfigTopic(id): 1}
	tok := pc.SubscribeMultiple(subs, c.dispatch)
	// Do not wait on the token inside paho's callback.
	go func() {
		if !tok.WaitTimeout(30*time.Second) || tok.Error() != nil {
			c.log.Warn("mqtt subscribe failed; reconnecting", "err", tok.Error())
			pc.Disconnect(0)
			select {
			case c.lost <- fmt.Errorf("standclient: subscribe failed: %v", tok.Error()):
			default:
			}
			return
		}
		for filter, code := range tok.(*paho.SubscribeToken).Result() {
			if code > 2 {
				c.log.Error("mqtt subscription refused by the broker", "filter", filter, "code", code)
			}
		}
		c.log.Info("mqtt connected")
		if p, err := mqtt.New(&mqtt.Presence{Online: true}, c.cfg.Now()).Marshal(); err == nil {
			pc.Publish(mqtt.StateTopic(id), 1, true, p)
		}
		c.mu.Lock()
		ctx, hooks := c.runCtx, append([]func(context.Context){}, c.onConnect...)
		c.mu.Unlock()
		for _, f := range hooks {
			go f(ctx)
		}
	}()
}

// shutdown says offline itself, then sends DISCONNECT, which makes the
// broker drop the last will unpublished [MQTT-3.1.2-10].
func (c *Client) shutdown() {
	if p, err := mqtt.New(&mqtt.Presence{Online: false, Reason: "shutdown"}, c.cfg.Now()).Marshal(); err == nil {
		tok := c.pc.Publish(mqtt.StateTopic(c.cfg.DeviceID), 1, true, p)
		tok.WaitTimeout(2 * time.Second)
	}
	c.pc.Disconnect(500)
	c.log.Info("mqtt disconnected")
}

// Publish sends body on the stand's up topic with QoS 1 and waits until the
// broker has it (or ctx/PublishTimeout ends). The message is in the file
// store first, so a timeout does not lose it: it goes out on reconnect.
func (c *Client) Publish(ctx context.Context, body mqtt.Body) (mqtt.Message, error) {
	m := mqtt.New(body, c.cfg.Now())
	payload, err := m.Marshal()
	if err != nil {
		return m, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.cfg.PublishTimeout)
		defer cancel()
	}
	tok := c.pc.Publish(mqtt.UpTopic(c.cfg.DeviceID), 1, false, payload)
	select {
	case <-tok.Done():
		if err := tok.Error(); err != nil {
			return m, fmt.Errorf("standclient: publish %s: %w", body.Kind(), err)
		}
		return m, nil
	case <-ctx.Done():
		return m, fmt.Errorf("standclient: publish %s: %w", body.Kind(), ctx.Err())
	}
}
