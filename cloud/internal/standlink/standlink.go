package standlink

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"strings"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/storage"
	"github.com/qrstand/qrstand/mqtt"
)

// Config configures the link.
type Config struct {
	// User and Secret are the cloud's service identity. Required.
	User, Secret string
	// ClientID is this node's MQTT client id; nodes sharing a broker need
	// distinct ones. Default User.
	ClientID string
	// UpFilter is the uplink subscription. Default qrs/v1/d/+/up; with
	// several cloud nodes a shared one ($share/<group>/qrs/v1/d/+/up), so
	// each pair.request is answered by one node. A shared subscriber
	// connects with a clean session: a dead node's persistent session would
	// keep taking its share of the uplinks until it came back.
	UpFilter string
	// PairURL builds the URL a pairing QR holds. Required.
	PairURL func(standID, code string) string
	// StoreURL builds a store code's URL. Required.
	StoreURL func(token string) string
	// PairCodeTTL is how long a pairing code works. Default 15 min.
	PairCodeTTL time.Duration
	// Alerts configures stand alerts to staff.
	Alerts AlertConfig
	// AfterAlert is called after alert messages were queued (the outbox
	// dispatcher's Kick); optional.
	AfterAlert func()
	// UnannouncedWithin is the deadline the unannounced-payments metric
	// counts against. Default 60 s.
	UnannouncedWithin time.Duration
	// OnUpdateState, if set, receives every stand's update.state (the
	// firmware rollouts keep them).
	OnUpdateState func(standID string, u *mqtt.UpdateState)
	Log           *slog.Logger
	Now           func() time.Time
}

// Link is the cloud's MQTT client for pairing and store.config.
type Link struct {
	cfg      Config
	st       *storage.Storage
	clientMu sync.RWMutex
	client   paho.Client // set by Run

	mu      sync.Mutex
	version int64

	metrics fleetMetrics
}

// New returns a link; Run connects it.
func New(cfg Config, st *storage.Storage) (*Link, error) {
	if cfg.User == "" || cfg.Secret == "" || cfg.PairURL == nil || cfg.StoreURL == nil {
		return nil, errors.New("standlink: User, Secret, PairURL and StoreURL are required")
	}
	if cfg.PairCodeTTL == 0 {
		cfg.PairCodeTTL = 15 * time.Minute
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ClientID == "" {
		cfg.ClientID = cfg.User
	}
	if cfg.UpFilter == "" {
		cfg.UpFilter = upFilter
	}
	if cfg.UnannouncedWithin == 0 {
		cfg.UnannouncedWithin = time.Minute
	}
	if err := cfg.Alerts.defaults(); err != nil {
		return nil, err
	}
	l := &Link{cfg: cfg, st: st}
	l.newMetrics()
	return l, nil
}

// upFilter is every stand's uplink; stateFilter every stand's presence.
var (
	upFilter    = mqtt.TopicPrefix + "+/" + string(mqtt.ChannelUp)
	stateFilter = mqtt.TopicPrefix + "+/" + string(mqtt.ChannelState)
)

// Run connects to broker (e.g. "tcp://127.0.0.1:1884") and serves until
// ctx is done.
func (l *Link) Run(ctx context.Context, broker string) error {
	opts := paho.NewClientOptions().AddBroker(broker).
		SetClientID(l.cfg.ClientID).SetUsername(l.cfg.User).SetPassword(l.cfg.Secret).
		SetCleanSession(strings.HasPrefix(l.cfg.UpFilter, "$share/")).SetAutoReconnect(true).SetConnectRetry(true).
		SetConnectRetryInterval(time.Second).SetMaxReconnectInterval(10 * time.Second).
		// In order: a stand's last status must not overtake its offline
		// presence (they arrive on two topics). Handlers only do short
		// database writes.
		SetOrderMatters(true)
	opts.SetOnConnectHandler(func(c paho.Client) {
		// Resubscribe on every connect; the session may be new.
		tok := c.SubscribeMultiple(map[string]byte{l.cfg.UpFilter: 1, stateFilter: 1}, func(_ paho.Client, m paho.Message) { l.handleUp(m.Topic(), m.Payload()) })
		if tok.WaitTimeout(10*time.Second) && tok.Error() != nil {
			l.cfg.Log.Warn("standlink: subscribe", "err", tok.Error())
		}
		l.cfg.Log.Info("standlink: connected", "broker", broker)
	})
	client := paho.NewClient(opts)
	l.clientMu.Lock()
	l.client = client
	l.clientMu.Unlock()
	tok := client.Connect()
	select {
	case <-tok.Done():
		if err := tok.Error(); err != nil {
			return fmt.Errorf("standlink: connect: %w", err)
		}
	case <-ctx.Done():
	}
	checks := make(chan struct{})
	go func() { defer close(checks); l.runChecks(ctx) }()
	<-ctx.Done()
	<-checks
	client.Disconnect(250)
	return nil
}

func (l *Link) paho() paho.Client {
	l.clientMu.RLock()
	defer l.clientMu.RUnlock()
	return l.client
}

// Connected reports whether the link is up.
func (l *Link) Connected() bool { c := l.paho(); return c != nil && c.IsConnectionOpen() }

func (l *Link) handleUp(topic string, payload []byte) {
	id, ch, ok := mqtt.ParseTopic(topic)
	if ok && ch == mqtt.ChannelState {
		l.handleState(id, payload)
		return
	}
	if !ok || ch != mqtt.ChannelUp {
		return
	}
	msg, err := mqtt.Unmarshal(payload)
	if err != nil {
		l.cfg.Log.Warn("standlink: bad uplink", "stand", id, "err", err)
		return
	}
	switch body := msg.Body.(type) {
	case *mqtt.PairRequest:
		l.pairRequest(id, body)
	case *mqtt.Hello:
		l.setPresence(id, true) // may overtake the online presence (another topic, another client)
	case *mqtt.Status:
		l.status(id, body)
	case *mqtt.Ledger:
		l.ledger(id, body)
	case *mqtt.UpdateState:
		if l.cfg.OnUpdateState != nil {
			l.cfg.OnUpdateState(id, body)
		}
	}
}

// pairRequest: a registered stand asks for a pairing code. A stand that is
// already bound gets its store.config again instead.
func (l *Link) pairRequest(id string, req *mqtt.PairRequest) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stand, err := l.st.Stand(ctx, id)
	if err != nil {
		l.cfg.Log.Warn("standlink: pair.request from unknown stand", "stand", id, "err", err)
		return
	}
	if stand.StoreID != "" {
		l.publishConfig(ctx, stand)
		return
	}
	code, err := newPairCode()
	if err != nil {
		l.cfg.Log.Error("standlink: pair code", "err", err)
		return
	}
	now := l.cfg.Now()
	expires := now.Add(l.cfg.PairCodeTTL)
	if err := l.st.SetPairCode(ctx, id, code, expires); err != nil {
		l.cfg.Log.Error("standlink: store pair code", "stand", id, "err", err)
		return
	}
	l.publish(mqtt.DownTopic(id), false, &mqtt.PairCode{Code: code, URL: l.cfg.PairURL(id, code), ExpiresAt: expires.UTC()})
	l.cfg.Log.Info("standlink: pair code sent", "stand", id, "firmware", req.Firmware)
}

// newPairCode is 8 digits: easy to read off a small e-ink screen.
func newPairCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(100_000_000))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%08d", n.Int64()), nil
}

// Send publishes body on a stand's down topic (QoS 1). Firmware rollouts
// use it for stand.command update and resend until the stand reports.
func (l *Link) Send(_ context.Context, standID string, body mqtt.Body) error {
	if l.paho() == nil || !l.Connected() {
		return errors.New("standlink: not connected")
	}
	l.publish(mqtt.DownTopic(standID), false, body)
	return nil
}

func (l *Link) publish(topic string, retained bool, body mqtt.Body) {
	client := l.paho()
	if client == nil {
		return
	}
	b, err := mqtt.New(body, l.cfg.Now()).Marshal()
	if err != nil {
		l.cfg.Log.Error("standlink: marshal", "type", body.Kind(), "err", err)
		return
	}
	tok := client.Publish(topic, 1, retained, b)
	go func() {
		if tok.WaitTimeout(30*time.Second) && tok.Error() != nil {
			l.cfg.Log.Warn("standlink: publish", "topic", topic, "err", tok.Error())
		}
	}()
}

// nextVersion grows with every config published by this node; microseconds
// keep it growing across restarts too.
func (l *Link) nextVersion() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	v := l.cfg.Now().UnixMicro()
	if v <= l.version {
		v = l.version + 1
	}
	l.version = v
	return v
}

// Config builds the store.config a stand should show.
func (l *Link) Config(ctx context.Context, stand model.Stand) (*mqtt.StoreConfig, error) {
	c := &mqtt.StoreConfig{Version: l.nextVersion()}
	if stand.StoreID == "" {
		return c, nil
	}
	st, err := l.st.Store(ctx, stand.StoreID)
	if err != nil {
		return nil, err
	}
	m, err := l.st.Merchant(ctx, st.MerchantID)
	if err != nil {
		return nil, err
	}
	c.Bound, c.StoreID, c.StoreName, c.MerchantName = true, st.ID, st.Name, m.Name
	c.QRURL = l.cfg.StoreURL(st.CodeToken)
	c.Announce = mqtt.AnnounceConfig{Enabled: st.Announce, Volume: 80}
	c.Print = mqtt.PrintConfig{Enabled: st.PrintReceipts, Copies: 1}
	return c, c.Validate()
}

func (l *Link) publishConfig(ctx context.Context, stand model.Stand) {
	c, err := l.Config(ctx, stand)
	if err != nil {
		l.cfg.Log.Error("standlink: build store.config", "stand", stand.ID, "err", err)
		return
	}
	l.publish(mqtt.ConfigTopic(stand.ID), true, c)
	l.cfg.Log.Info("standlink: store.config published", "stand", stand.ID, "store", stand.StoreID, "version", c.Version)
}

// StandPaired publishes the new binding (ui.StandNotifier).
func (l *Link) StandPaired(ctx context.Context, standID string) {
	stand, err := l.st.Stand(ctx, standID)
	if err != nil {
		l.cfg.Log.Error("standlink: paired stand", "stand", standID, "err", err)
		return
	}
	l.publishConfig(ctx, stand)
}

// StoreChanged republishes store.config to every stand of the store
// (ui.StandNotifier).
func (l *Link) StoreChanged(ctx context.Context, storeID string) {
	stands, err := l.st.StandsByStore(ctx, storeID)
	if err != nil {
		l.cfg.Log.Error("standlink: stands of store", "store", storeID, "err", err)
		return
	}
	for _, s := range stands {
		l.publishConfig(ctx, s)
	}
}
