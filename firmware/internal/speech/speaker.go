package speech

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"
)

// SpeakerOpts are what a Speaker is built from.
type SpeakerOpts struct {
	Config Config
	Pack   *Pack            // required; see Config.OpenPack
	Player Player           // required; APlay on a stand, speechtest.Player in tests
	Now    func() time.Time // default time.Now; decides quiet hours
	Log    *slog.Logger     // default discards
}

// Speaker speaks utterances with the stand's policies: volume and quiet hours.
// It keeps no history: for "repeat last" the caller keeps the last Utterance
// (or its text; see ParseUtterance) and passes it to Say. Safe for concurrent
// use; plays are serialised so two announcements never overlap.
type Speaker struct {
	pack   *Pack
	player Player
	now    func() time.Time
	log    *slog.Logger
	quiet  QuietHours
	two    TwoStyle

	playMu sync.Mutex // held while playing

	mu     sync.Mutex
	volume int
}

// NewSpeaker checks opts and returns a Speaker.
func NewSpeaker(o SpeakerOpts) (*Speaker, error) {
	if err := o.Config.Validate(); err != nil {
		return nil, err
	}
	if o.Pack == nil || o.Player == nil {
		return nil, errors.New("speech: speaker needs a pack and a player")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Speaker{
		pack: o.Pack, player: o.Player, now: o.Now, log: o.Log,
		quiet: o.Config.QuietHours, two: o.Config.Two, volume: o.Config.Volume,
	}, nil
}

// Two is the configured 二/两 style, for building utterances:
// speech.Payment(ch, fen, s.Two()).
func (s *Speaker) Two() TwoStyle { return s.two }

// Volume returns the current volume in percent.
func (s *Speaker) Volume() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.volume
}

// SetVolume sets the volume in percent (0–100), e.g. from the volume button.
func (s *Speaker) SetVolume(v int) error {
	if v < 0 || v > 100 {
		return fmt.Errorf("speech: volume %d outside 0–100", v)
	}
	s.mu.Lock()
	s.volume = v
	s.mu.Unlock()
	return nil
}

// Quiet reports whether quiet hours are in force now.
func (s *Speaker) Quiet() bool { return s.quiet.Contains(s.now()) }

// Render returns the WAV for u at the current volume, without playing it
// (the simulator writes it to disk; `qrstand say -o` too).
func (s *Speaker) Render(u Utterance) ([]byte, error) {
	return s.pack.Synthesize(u.Tokens, s.Volume())
}

// Announce speaks an announcement the stand makes on its own (a payment, a
// refund, the offline summary). During quiet hours it plays nothing and
// returns ErrQuietHours; the caller still prints and shows the payment as
// usual, so the clerk has the record, and should treat the announcement as
// done (it is a policy, not a failure).
func (s *Speaker) Announce(ctx context.Context, u Utterance) error {
	if s.Quiet() {
		s.log.Info("announcement not spoken: quiet hours", "text", u.Text, "quiet_hours", s.quiet.String())
		return fmt.Errorf("%w (%s): %s", ErrQuietHours, s.quiet, u.Text)
	}
	return s.Say(ctx, u)
}

// Say speaks u now, ignoring quiet hours: for what a person asked for at
// that moment (repeat last, test voice, `qrstand say`). At volume 0 it
// renders nothing and plays nothing.
func (s *Speaker) Say(ctx context.Context, u Utterance) error {
	vol := s.Volume()
	if vol == 0 {
		s.log.Info("announcement not spoken: volume 0", "text", u.Text)
		return nil
	}
	wav, err := s.pack.Synthesize(u.Tokens, vol)
	if err != nil {
		return err
	}
	s.playMu.Lock()
	defer s.playMu.Unlock()
	if err := s.player.Play(ctx, wav); err != nil {
		return err
	}
	s.log.Info("spoken", "text", u.Text, "volume", vol)
	return nil
}
