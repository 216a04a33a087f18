package stand

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/qrstand/qrstand/display"
	"github.com/qrstand/qrstand/firmware/internal/power"
	"github.com/qrstand/qrstand/mqtt"
)

// ErrBatteryCritical is returned by Run after a safe shutdown at a critical
// battery: the screen shows the store QR and the journal is closed cleanly;
// the caller powers the machine off.
var ErrBatteryCritical = errors.New("stand: battery critical")

// Settings keys in the journal.
const (
	keyStoreConfig = "store_config"
	keyPairCode    = "pair_code"
)

// Stand is one running stand.
type Stand struct {
	cfg   Config
	d     Deps
	log   interface{ Info(string, ...any) }
	boot  string
	start time.Time

	kick       chan struct{}
	ledgerKick chan struct{}
	poke       chan struct{}

	saveMu sync.Mutex // see saveLedger

	mu          sync.Mutex
	store       *mqtt.StoreConfig
	pair        *mqtt.PairCode
	syncPending int64
	lastStale   time.Time
	failed      map[string]bool // ids whose print failed in this run (not on paper)
	bat         *power.Battery
	lastStatus  mqtt.Status
	pairAsked   time.Time // last pair.request (real clock)
	pending     int       // unfinished journal events at the worker's last look
	crash       error
	stop        context.CancelCauseFunc

	// A journal write that fails (a full disk) after the announcement or
	// the print must not repeat them on the retry: these remember, for
	// this run, what was said and what came out but is not journaled yet.
	said    map[string]bool
	printed map[string]bool
	// retrying's memory: the last error logged and when.
	lastRetryErr string
	lastRetryLog time.Time

	announced map[string]announced // how events in the pipeline were announced
	ledgerQ   []*mqtt.Ledger       // reports not yet accepted by the broker
}

// New returns a stand; call Run.
func New(cfg Config, d Deps) (*Stand, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if d.Journal == nil || d.Uplink == nil || d.Face == nil || d.Printer == nil || d.Announcer == nil {
		return nil, fmt.Errorf("stand: journal, uplink, face, printer and announcer are required")
	}
	s := &Stand{
		cfg:        cfg,
		d:          d,
		log:        cfg.Log,
		boot:       mqtt.NewID(cfg.Now()),
		start:      time.Now(),
		kick:       make(chan struct{}, 1),
		ledgerKick: make(chan struct{}, 1),
		poke:       make(chan struct{}, 1),
		failed:     map[string]bool{},
		announced:  map[string]announced{},
	}
	s.said, s.printed = map[string]bool{}, map[string]bool{}
	if ma := d.Journal.MovedAside(); ma != nil {
		cfg.Log.Error("stand: the journal was damaged and has been moved aside; a fresh journal is in use, "+
			"and the cloud resends the events it delivered, printed labelled 补打",
			"moved_to", ma.Path, "reason", ma.Reason)
	}
	ctx := context.Background()
	if b, err := d.Journal.Setting(ctx, keyStoreConfig); err == nil {
		var c mqtt.StoreConfig
		if json.Unmarshal(b, &c) == nil {
			s.store = &c
		}
	}
	if b, err := d.Journal.Setting(ctx, keyPairCode); err == nil {
		var p mqtt.PairCode
		if json.Unmarshal(b, &p) == nil {
			s.pair = &p
		}
	}
	s.loadLedger(ctx)
	u := d.Uplink
	u.Handle(mqtt.KindPaymentPaid, s.onEvent)
	u.Handle(mqtt.KindPaymentRefunded, s.onEvent)
	u.Handle(mqtt.KindShiftClosed, s.onEvent)
	u.Handle(mqtt.KindStandCommand, s.onEvent)
	u.Handle(mqtt.KindStoreConfig, s.onStoreConfig)
	u.Handle(mqtt.KindPairCode, s.onPairCode)
	u.Handle(mqtt.KindSync, s.onSync)
	u.OnConnect(s.onConnect)
	return s, nil
}

// Paired reports whether a store is bound.
func (s *Stand) Paired() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.store != nil && s.store.Bound
}

// BootID is this run's boot id (sent in hello).
func (s *Stand) BootID() string { return s.boot }

func (s *Stand) wake() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// showInitial draws what the stand knows at start: the store QR, the
// pairing QR, or the "not configured" screen.
func (s *Stand) showInitial() error {
	s.mu.Lock()
	st, pc := s.store, s.pair
	s.mu.Unlock()
	if st != nil && st.Bound {
		return s.d.Face.SetStore(&display.Store{Name: st.StoreName, URL: st.QRURL})
	}
	if pc != nil && s.cfg.Now().Before(pc.ExpiresAt) {
		return s.d.Face.SetPairing(&display.Pairing{URL: pc.URL, Code: pc.Code})
	}
	return s.d.Face.Refresh()
}

// Run works until ctx ends (nil), a hook crashes the pipeline (its error)
// or the battery is critical (ErrBatteryCritical).
func (s *Stand) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	s.mu.Lock()
	s.stop = cancel
	s.mu.Unlock()
	if err := s.showInitial(); err != nil {
		s.cfg.Log.Warn("stand: first frame", "err", err)
	}
	s.mu.Lock()
	s.lastStale = time.Now() // a batch may still be arriving from before the restart
	s.mu.Unlock()

	var wg sync.WaitGroup
	errc := make(chan error, 3)
	wg.Add(4)
	go func() { defer wg.Done(); s.ledgerSender(ctx) }()
	go func() { defer wg.Done(); errc <- s.d.Uplink.Run(ctx) }()
	go func() {
		defer wg.Done()
		err := s.worker(ctx)
		if err != nil {
			cancel(err)
		}
		errc <- err
	}()
	go func() {
		defer wg.Done()
		err := s.monitor(ctx)
		if err != nil {
			cancel(err)
		}
		errc <- err
	}()
	wg.Wait()
	close(errc)
	var first error
	for err := range errc {
		if err != nil && first == nil && !errors.Is(err, context.Canceled) {
			first = err
		}
	}
	s.d.Face.Close()
	if err := s.crashed(); err != nil {
		return err
	}
	return first
}
