package stand

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

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

// Stand is one running stand. Run starts four goroutines: the uplink
// (whose handlers journal events and apply settings), the worker (the
// journal pipeline, with its own state in a worker), the monitor (poll and
// status) and the ledger sender. Fields are grouped by who owns them.
type Stand struct {
	// Set by New and read-only after.
	cfg   Config
	d     Deps
	boot  string
	start time.Time

	kick    chan struct{} // wakes the worker
	poke    chan struct{} // wakes the monitor
	reports reportQueue   // the worker's ledger reports, sent by the ledger sender

	// Shared by the uplink's handlers, the worker, the monitor and callers
	// of the exported methods.
	mu          sync.Mutex
	store       *mqtt.StoreConfig // the store.config in force (journaled)
	pair        *mqtt.PairCode    // the pairing code shown (journaled)
	syncPending int64             // events the cloud announced in sync (uplink sets, worker clears)
	lastStale   time.Time         // when the last catch-up event was journaled (uplink sets, worker reads)
	pairAsked   time.Time         // last periodic pair.request (uplink and monitor)
	bat         *power.Battery    // last battery reading (monitor sets, Status reads)
	lastStatus  mqtt.Status       // last status sent (sendStatus, from any goroutine)
	pending     int               // unfinished journal events at the worker's last look (worker sets, Status reads)
	crash       error             // set once by a hook that stopped the stand
	stop        context.CancelCauseFunc
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
	now := cfg.Clock.Now()
	s := &Stand{
		cfg:     cfg,
		d:       d,
		boot:    mqtt.NewID(now),
		start:   now,
		kick:    make(chan struct{}, 1),
		poke:    make(chan struct{}, 1),
		reports: reportQueue{kick: make(chan struct{}, 1)},
	}
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
	u.OnConnectionLost(func(error) { s.CheckNow() }) // the status bar says offline at once
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
	if pc != nil && s.now().Before(pc.ExpiresAt) {
		return s.d.Face.SetPairing(&display.Pairing{URL: pc.URL, Code: pc.Code})
	}
	return s.d.Face.Refresh()
}

// Run works until ctx ends (nil), a hook crashes the pipeline (its error)
// or the battery is critical (ErrBatteryCritical).
func (s *Stand) Run(ctx context.Context) error {
	// A hook may fire on the uplink's goroutine too, so it stops the
	// group through this cancel rather than by returning.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	s.mu.Lock()
	s.stop = cancel
	s.lastStale = s.now() // a batch may still be arriving from before the restart
	s.mu.Unlock()
	if err := s.showInitial(); err != nil {
		s.cfg.Log.Warn("stand: first frame", "err", err)
	}

	w := newWorker(s)
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { s.ledgerSender(ctx); return nil })
	g.Go(func() error {
		if err := s.d.Uplink.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
		return nil
	})
	g.Go(func() error { return w.run(ctx) })
	g.Go(func() error { return s.monitor(ctx) })
	err := g.Wait()
	s.d.Face.Close()
	if err := s.crashed(); err != nil {
		return err
	}
	return err
}

// now is the stand's clock.
func (s *Stand) now() time.Time { return s.cfg.Clock.Now() }
