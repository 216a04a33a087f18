package stand

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/qrstand/qrstand/display"
	"github.com/qrstand/qrstand/firmware/internal/journal"
	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/standclient"
)

// crashed reports whether a hook stopped the stand; nothing may be done
// after that.
func (s *Stand) crashed() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.crash
}

func (s *Stand) hook(p Point, ids ...string) error {
	if s.cfg.Hook == nil {
		return nil
	}
	if err := s.cfg.Hook(p, ids); err != nil {
		s.mu.Lock()
		if s.crash == nil {
			s.crash = err
		}
		stop := s.stop
		s.mu.Unlock()
		if stop != nil {
			stop(err)
		}
		return err
	}
	return nil
}

func (s *Stand) window() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.store == nil {
		return mqtt.DefaultAnnounceWindow
	}
	return s.store.Announce.Window()
}

// onEvent journals an event that must be handled exactly once: payments,
// refunds, shift slips and commands. Returning nil lets standclient ack it.
func (s *Stand) onEvent(ctx context.Context, m mqtt.Message) error {
	if err := s.crashed(); err != nil {
		return err
	}
	payload, err := m.Marshal()
	if err != nil {
		return fmt.Errorf("stand: re-encode %s: %w", m.ID, err)
	}
	now := s.now()
	e := journal.Event{ID: m.ID, Kind: m.Type, OutboxSeq: m.Seq, Resent: m.Resent, ReceivedAt: now, EventAt: m.TS, Payload: payload}
	// A resent event may have been announced before this stand lost it:
	// it joins the catch-up whatever its age.
	switch b := m.Body.(type) {
	case *mqtt.PaymentPaid:
		e.Fen, e.Channel, e.EventAt = b.AmountFen, b.Channel, b.PaidAt
		e.CatchUp = m.Resent || now.Sub(b.PaidAt) > s.window()
	case *mqtt.PaymentRefunded:
		e.Fen, e.Channel, e.EventAt = b.RefundFen, b.Channel, b.RefundedAt
		e.CatchUp = m.Resent || now.Sub(b.RefundedAt) > s.window()
	case *mqtt.ShiftClosed:
		e.EventAt = b.End
	}
	inserted, err := s.d.Journal.Insert(ctx, e)
	if err != nil {
		return err // not acked: the broker and the cloud send it again
	}
	if !inserted {
		return standclient.ErrDuplicate
	}
	if e.CatchUp {
		s.mu.Lock()
		s.lastStale = s.now()
		s.mu.Unlock()
	}
	if err := s.hook(AfterJournal, m.ID); err != nil {
		return err
	}
	s.wake()
	return nil
}

// onStoreConfig applies a store.config newer than the one shown.
func (s *Stand) onStoreConfig(ctx context.Context, m mqtt.Message) error {
	c := m.Body.(*mqtt.StoreConfig)
	s.mu.Lock()
	old := s.store
	s.mu.Unlock()
	if old != nil && c.Version < old.Version {
		s.cfg.Log.Info("stand: older store.config ignored", "version", c.Version, "have", old.Version)
		return nil
	}
	b, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("stand: store.config: %w", err)
	}
	if err := s.d.Journal.SetSetting(ctx, keyStoreConfig, b); err != nil {
		return err
	}
	s.mu.Lock()
	s.store = c
	s.mu.Unlock()
	if c.Announce.Volume > 0 && (old == nil || old.Announce.Volume != c.Announce.Volume) {
		if err := s.d.Announcer.SetVolume(c.Announce.Volume); err != nil {
			s.cfg.Log.Warn("stand: volume", "err", err)
		}
	}
	if c.Bound {
		s.cfg.Log.Info("stand: bound", "store", c.StoreID, "version", c.Version)
		s.mu.Lock()
		s.pair = nil // used up: a later unbinding asks for a fresh one
		s.mu.Unlock()
		if err := s.d.Journal.SetSetting(ctx, keyPairCode, nil); err != nil {
			return err
		}
		if err := s.d.Face.SetStore(&display.Store{Name: c.StoreName, URL: c.QRURL}); err != nil {
			s.cfg.Log.Warn("stand: display", "err", err)
		}
		return nil
	}
	s.cfg.Log.Info("stand: unbound", "version", c.Version)
	if err := s.d.Face.SetStore(nil); err != nil {
		s.cfg.Log.Warn("stand: display", "err", err)
	}
	go s.requestPairing(context.WithoutCancel(ctx), false) // after the ack; Publish waits for the broker
	// The monitor's timer now includes the pairing retry.
	s.CheckNow()
	return nil
}

// onPairCode shows the pairing screen.
func (s *Stand) onPairCode(ctx context.Context, m mqtt.Message) error {
	p := m.Body.(*mqtt.PairCode)
	if s.Paired() {
		return nil // bound meanwhile; the code is stale
	}
	b, _ := json.Marshal(p)
	if err := s.d.Journal.SetSetting(ctx, keyPairCode, b); err != nil {
		return err
	}
	s.mu.Lock()
	s.pair = p
	s.mu.Unlock()
	if err := s.d.Face.SetPairing(&display.Pairing{URL: p.URL, Code: p.Code}); err != nil {
		s.cfg.Log.Warn("stand: display", "err", err)
	}
	return nil
}

// onSync notes how many events the cloud is about to flush, so the catch-up
// batch can close as soon as they are in.
func (s *Stand) onSync(_ context.Context, m mqtt.Message) error {
	b := m.Body.(*mqtt.Sync)
	s.mu.Lock()
	s.syncPending = b.Pending
	s.mu.Unlock()
	s.cfg.Log.Info("stand: sync", "pending", b.Pending, "through", b.ThroughSeq)
	s.wake()
	return nil
}

// onConnect says hello, asks for a pairing code when unpaired, and reports
// status.
func (s *Stand) onConnect(ctx context.Context) {
	_ = s.d.Face.SetNetwork(display.NetOnline)
	last, err := s.d.Journal.LastSeq(ctx)
	if err != nil {
		s.cfg.Log.Warn("stand: hello", "err", err)
	}
	s.mu.Lock()
	h := &mqtt.Hello{Firmware: s.cfg.Firmware, Model: s.cfg.Model, BootID: s.boot, LastSeq: last}
	if s.store != nil {
		h.Paired, h.ConfigVersion = s.store.Bound, s.store.Version
	}
	s.mu.Unlock()
	if _, err := s.d.Uplink.Publish(ctx, h); err != nil {
		s.cfg.Log.Warn("stand: hello", "err", err)
		return
	}
	if !h.Paired {
		s.requestPairing(ctx, false)
	}
	s.sendStatus(ctx, true)
	s.reports.wake() // reports kept while offline
}

// requestPairing sends pair.request unless a pairing code is still valid.
// retry marks the periodic re-request of an unanswered or expired code,
// sent at most once a minute.
func (s *Stand) requestPairing(ctx context.Context, retry bool) {
	now := s.now()
	s.mu.Lock()
	valid := s.pair != nil && now.Before(s.pair.ExpiresAt)
	paired := s.store != nil && s.store.Bound
	// The retry waits for the first ask, made by onConnect after hello.
	recent := retry && (s.pairAsked.IsZero() || now.Sub(s.pairAsked) < time.Minute)
	if !valid && !paired && !recent {
		s.pairAsked = now
	}
	s.mu.Unlock()
	if valid || paired || recent {
		return
	}
	pr := &mqtt.PairRequest{Firmware: s.cfg.Firmware, Model: s.cfg.Model, Panel: s.cfg.Panel, Printer: s.cfg.Profile.Name}
	if _, err := s.d.Uplink.Publish(ctx, pr); err != nil {
		s.cfg.Log.Warn("stand: pair.request", "err", err)
	}
}
