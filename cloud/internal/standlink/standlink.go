package standlink

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"sync"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/nodelink"
	"github.com/qrstand/qrstand/cloud/internal/storage"
	"github.com/qrstand/qrstand/mqtt"
)

// Config configures the link.
type Config struct {
	// Link is the node's MQTT client: the link publishes through it and
	// receives pair requests, hellos, status, ledger and update reports
	// and presence from it. Required.
	Link *nodelink.Link
	// UplinkWorkers and UplinkQueue size the link's queue of uplinks
	// (defaults 4 workers, 4096 each): see nodelink.Queue.
	UplinkWorkers, UplinkQueue int
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

// Link is the cloud's side of pairing, store.config and the fleet view.
type Link struct {
	cfg Config
	st  *storage.Storage
	up  *nodelink.Queue

	mu      sync.Mutex
	version int64

	metrics fleetMetrics
}

// New returns a link and routes its uplinks from cfg.Link to it; Run
// serves them.
func New(cfg Config, st *storage.Storage) (*Link, error) {
	if cfg.Link == nil || cfg.PairURL == nil || cfg.StoreURL == nil {
		return nil, errors.New("standlink: Link, PairURL and StoreURL are required")
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
	if cfg.UplinkWorkers <= 0 {
		cfg.UplinkWorkers = 4
	}
	if cfg.UplinkQueue <= 0 {
		cfg.UplinkQueue = 4096
	}
	if cfg.UnannouncedWithin == 0 {
		cfg.UnannouncedWithin = time.Minute
	}
	if err := cfg.Alerts.defaults(); err != nil {
		return nil, err
	}
	l := &Link{cfg: cfg, st: st}
	// A dropped uplink is counted by the node's link; each is made up for
	// by the stand: it asks for a pairing code again within a minute,
	// sends status periodically, and its presence is retained.
	l.up = nodelink.NewQueue(nodelink.QueueConfig{Name: "standlink", Workers: cfg.UplinkWorkers, Len: cfg.UplinkQueue})
	cfg.Link.Route(l.up, mqtt.KindPairRequest, mqtt.KindHello, mqtt.KindStatus, mqtt.KindLedger, mqtt.KindUpdateState, mqtt.KindPresence)
	l.newMetrics()
	return l, nil
}

// Run handles the routed uplinks and looks for offline stands until ctx
// is done.
func (l *Link) Run(ctx context.Context) error {
	checks := make(chan struct{})
	go func() { defer close(checks); l.runChecks(ctx) }()
	l.up.Serve(ctx, l.handleUp)
	<-checks
	return nil
}

// Connected reports whether the node's MQTT link is up.
func (l *Link) Connected() bool { return l.cfg.Link.Connected() }

// handleUp acts on one uplink, on a worker of the link's queue (a stand's
// uplinks one at a time, in order: a stand's last status never overtakes
// its offline presence).
func (l *Link) handleUp(ctx context.Context, u nodelink.Uplink) {
	id := u.Stand
	if u.Cleared {
		return // retained presence cleared
	}
	switch body := u.Msg.Body.(type) {
	case *mqtt.Presence:
		l.setPresence(ctx, id, body.Online)
	case *mqtt.PairRequest:
		l.pairRequest(ctx, id, body)
	case *mqtt.Hello:
		l.setPresence(ctx, id, true) // may overtake the online presence (another topic)
	case *mqtt.Status:
		l.status(ctx, id, body)
	case *mqtt.Ledger:
		l.ledger(ctx, id, body)
	case *mqtt.UpdateState:
		if l.cfg.OnUpdateState != nil {
			l.cfg.OnUpdateState(id, body)
		}
	}
}

// pairRequest: a registered stand asks for a pairing code. A stand that is
// already bound gets its store.config again instead.
func (l *Link) pairRequest(ctx context.Context, id string, req *mqtt.PairRequest) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
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
	if !l.Connected() {
		return errors.New("standlink: not connected")
	}
	l.publish(mqtt.DownTopic(standID), false, body)
	return nil
}

func (l *Link) publish(topic string, retained bool, body mqtt.Body) {
	b, err := mqtt.New(body, l.cfg.Now()).Marshal()
	if err != nil {
		l.cfg.Log.Error("standlink: marshal", "type", body.Kind(), "err", err)
		return
	}
	if err := l.cfg.Link.Publish(topic, retained, b); err != nil {
		l.cfg.Log.Warn("standlink: publish", "topic", topic, "err", err)
	}
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
