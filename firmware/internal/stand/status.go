package stand

import (
	"context"
	"time"

	"github.com/qrstand/qrstand/display"
	"github.com/qrstand/qrstand/firmware/internal/power"
	"github.com/qrstand/qrstand/mqtt"
)

// monitor keeps the status bar and the cloud informed and shuts down
// safely at a critical battery. It wakes on events rather than on a fixed
// poll, because every wakeup costs a battery stand power: the connection
// going up or down (OnConnect, OnConnectionLost), a print that changed the
// paper state (a printer's paper state is what it said at its last job),
// CheckNow (the simulator's knobs), and one timer for what has no event:
// the battery and the pairing retry while unpaired (every PollEvery), and
// the periodic status and display maintenance (every StatusEvery).
func (s *Stand) monitor(ctx context.Context) error {
	now := time.Now()
	nextPoll, nextStatus := now.Add(s.cfg.PollEvery), now.Add(s.cfg.StatusEvery)
	timer := time.NewTimer(time.Until(s.nextLook(nextPoll, nextStatus)))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.poke:
			if err := s.pollOnce(ctx); err != nil {
				return err
			}
		case <-timer.C:
			now := time.Now()
			if !now.Before(nextStatus) {
				nextStatus = now.Add(s.cfg.StatusEvery)
				s.sendStatus(ctx, true)
				if err := s.d.Face.Maintain(); err != nil {
					s.cfg.Log.Warn("stand: display maintenance", "err", err)
				}
			}
			if !now.Before(nextPoll) {
				nextPoll = now.Add(s.cfg.PollEvery)
				if s.needsPoll() {
					if err := s.pollOnce(ctx); err != nil {
						return err
					}
				}
			}
		}
		timer.Reset(time.Until(s.nextLook(nextPoll, nextStatus)))
	}
}

// needsPoll reports whether something must be looked at every PollEvery:
// a battery (it has no event), or the pairing request while unpaired.
func (s *Stand) needsPoll() bool { return s.d.Battery != nil || !s.Paired() }

// nextLook is when the monitor's timer must next fire.
func (s *Stand) nextLook(poll, status time.Time) time.Time {
	if s.needsPoll() && poll.Before(status) {
		return poll
	}
	return status
}

// CheckNow makes the stand look at paper and battery now instead of at its
// next poll (the simulator's knobs use it), so the cloud hears at once.
func (s *Stand) CheckNow() {
	select {
	case s.poke <- struct{}{}:
	default:
	}
}

// pollOnce looks at the outside world once.
func (s *Stand) pollOnce(ctx context.Context) error {
	if s.d.Uplink.Connected() {
		_ = s.d.Face.SetNetwork(display.NetOnline)
		s.requestPairing(ctx, true) // no-op unless unpaired with no valid code
	} else {
		_ = s.d.Face.SetNetwork(display.NetOffline)
	}
	_ = s.d.Face.SetPaper(displayPaper(s.d.Printer.Paper()))
	if s.d.Battery != nil {
		b, err := s.d.Battery.Read()
		if err != nil {
			s.cfg.Log.Warn("stand: battery", "err", err)
		} else if err := s.applyBattery(ctx, b); err != nil {
			return err
		}
	}
	s.sendStatus(ctx, false)
	return nil
}

// applyBattery shows the battery and applies the policy; at a critical
// level it draws the store QR for good and returns ErrBatteryCritical.
func (s *Stand) applyBattery(ctx context.Context, b power.Battery) error {
	s.mu.Lock()
	s.bat = &b
	s.mu.Unlock()
	db := display.Battery{Present: true, Percent: b.Percent, Charging: b.Charging}
	// Battery policy: no payment flash on battery (two refreshes fewer per
	// payment); the longer MQTT keepalive is chosen at start (see Policy).
	s.d.Face.SetFlashEnabled(!b.OnBattery)
	if b.Critical && !b.Charging {
		s.cfg.Log.Warn("stand: battery critical, shutting down", "pct", b.Percent, "mv", b.MilliVolt)
		s.sendStatus(ctx, true)
		st := display.Status{Battery: db, Network: display.NetUnknown}
		if err := s.d.Face.Final(st); err != nil {
			s.cfg.Log.Error("stand: final frame", "err", err)
		}
		return ErrBatteryCritical
	}
	return s.d.Face.SetBattery(db, b.Low && !b.Charging)
}

func displayPaper(p string) display.Paper {
	switch p {
	case mqtt.PaperOK:
		return display.PaperOK
	case mqtt.PaperNearEnd:
		return display.PaperLow
	case mqtt.PaperOut:
		return display.PaperOut
	}
	return display.PaperNone
}

// Status returns the stand's current status.
func (s *Stand) Status(ctx context.Context) mqtt.Status {
	last, _ := s.d.Journal.LastSeq(ctx)
	s.mu.Lock()
	pending := s.pending
	s.mu.Unlock()
	st := mqtt.Status{
		PrinterModel:  s.cfg.Profile.Name,
		Pending:       pending,
		Firmware:      s.cfg.Firmware,
		UptimeSec:     int64(s.now().Sub(s.start) / time.Second),
		BatteryPct:    -1,
		Paper:         s.d.Printer.Paper(),
		PrinterOnline: s.d.Printer.Paper() != mqtt.PaperUnknown,
		Volume:        s.d.Announcer.Volume(),
		LastSeq:       last,
	}
	s.mu.Lock()
	if s.bat != nil {
		st.BatteryPct, st.BatteryMV, st.Charging, st.OnBattery = s.bat.Percent, s.bat.MilliVolt, s.bat.Charging, s.bat.OnBattery
	}
	s.mu.Unlock()
	return st
}

// sendStatus publishes status when it changed (ignoring uptime and small
// battery drifts) or when force is set.
func (s *Stand) sendStatus(ctx context.Context, force bool) {
	st := s.Status(ctx)
	s.mu.Lock()
	prev := s.lastStatus
	cmp := st
	cmp.UptimeSec, prev.UptimeSec = 0, 0
	if d := cmp.BatteryPct - prev.BatteryPct; d > -5 && d < 5 && cmp.OnBattery == prev.OnBattery {
		cmp.BatteryPct, cmp.BatteryMV = prev.BatteryPct, prev.BatteryMV
	}
	changed := cmp != prev
	if changed || force {
		s.lastStatus = st
	}
	s.mu.Unlock()
	if !changed && !force {
		return
	}
	if !s.d.Uplink.Connected() {
		return // hello on reconnect sends it
	}
	if _, err := s.d.Uplink.Publish(ctx, &st); err != nil {
		s.cfg.Log.Warn("stand: status", "err", err)
	}
}
