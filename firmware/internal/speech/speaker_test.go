package speech

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/qrstand/qrstand/firmware/internal/speech/speechtest"
)

func newTestSpeaker(t *testing.T, cfg Config, now time.Time) (*Speaker, *speechtest.Player) {
	t.Helper()
	p, err := DefaultPack()
	if err != nil {
		t.Fatal(err)
	}
	pl := &speechtest.Player{}
	s, err := NewSpeaker(SpeakerOpts{Config: cfg, Pack: p, Player: pl, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return s, pl
}

func TestSpeakerAnnounce(t *testing.T) {
	cfg := DefaultConfig()
	s, pl := newTestSpeaker(t, cfg, time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC))
	u, err := Payment(ChannelWeChat, 1250, s.Two())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Announce(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	want, err := s.Render(u)
	if err != nil {
		t.Fatal(err)
	}
	plays := pl.Plays()
	if len(plays) != 1 || !bytes.Equal(plays[0], want) {
		t.Fatalf("played %d wavs, want the rendered announcement once", len(plays))
	}
}

func TestSpeakerQuietHours(t *testing.T) {
	cfg := DefaultConfig()
	if err := cfg.QuietHours.UnmarshalText([]byte("22:00-07:00")); err != nil {
		t.Fatal(err)
	}
	// 23:30 in Shanghai.
	s, pl := newTestSpeaker(t, cfg, time.Date(2026, 11, 25, 15, 30, 0, 0, time.UTC))
	u, _ := Payment(ChannelWeChat, 1250, s.Two())
	if err := s.Announce(context.Background(), u); !errors.Is(err, ErrQuietHours) {
		t.Fatalf("Announce in quiet hours: error = %v, want ErrQuietHours", err)
	}
	if n := len(pl.Plays()); n != 0 {
		t.Fatalf("played %d wavs in quiet hours", n)
	}
	// A clerk pressing "repeat last" is heard even at night.
	if err := s.Say(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	if n := len(pl.Plays()); n != 1 {
		t.Fatalf("Say in quiet hours played %d wavs, want 1", n)
	}
}

func TestSpeakerRepeatLastFromText(t *testing.T) {
	s, pl := newTestSpeaker(t, DefaultConfig(), time.Now())
	u, _ := OfflineSummary(3, 4550, s.Two())
	if err := s.Announce(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	// After a restart only the journal's text is left.
	again, err := ParseUtterance(u.Text)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Say(context.Background(), again); err != nil {
		t.Fatal(err)
	}
	plays := pl.Plays()
	if len(plays) != 2 || !bytes.Equal(plays[0], plays[1]) {
		t.Fatal("repeat from text did not play the same WAV")
	}
}

func TestSpeakerVolume(t *testing.T) {
	s, pl := newTestSpeaker(t, DefaultConfig(), time.Now())
	u, _ := Payment(ChannelNone, 100, s.Two())
	if err := s.SetVolume(100); err != nil {
		t.Fatal(err)
	}
	loud, _ := s.Render(u)
	if err := s.SetVolume(30); err != nil {
		t.Fatal(err)
	}
	if err := s.Say(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	p, _ := DefaultPack()
	want, _ := p.Synthesize(u.Tokens, 30)
	if got := pl.Plays(); len(got) != 1 || !bytes.Equal(got[0], want) || bytes.Equal(got[0], loud) {
		t.Fatal("SetVolume(30) not applied to the played WAV")
	}
	if err := s.SetVolume(0); err != nil {
		t.Fatal(err)
	}
	if err := s.Say(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	if n := len(pl.Plays()); n != 1 {
		t.Errorf("volume 0 still played (%d plays)", n)
	}
	if err := s.SetVolume(101); err == nil || s.Volume() != 0 {
		t.Errorf("SetVolume(101) = %v, volume now %d", err, s.Volume())
	}
}

func TestSpeakerPlayerError(t *testing.T) {
	s, pl := newTestSpeaker(t, DefaultConfig(), time.Now())
	pl.Err = errors.New("speaker unplugged")
	u, _ := Payment(ChannelNone, 100, s.Two())
	if err := s.Announce(context.Background(), u); !errors.Is(err, pl.Err) {
		t.Fatalf("error = %v, want the player's", err)
	}
}

func TestNewSpeakerChecks(t *testing.T) {
	p, _ := DefaultPack()
	bad := DefaultConfig()
	bad.Volume = 120
	if _, err := NewSpeaker(SpeakerOpts{Config: bad, Pack: p, Player: &speechtest.Player{}}); err == nil {
		t.Error("volume 120: no error")
	}
	if _, err := NewSpeaker(SpeakerOpts{Config: DefaultConfig(), Player: &speechtest.Player{}}); err == nil {
		t.Error("no pack: no error")
	}
	if _, err := NewSpeaker(SpeakerOpts{Config: DefaultConfig(), Pack: p}); err == nil {
		t.Error("no player: no error")
	}
}

func TestPrepareSay(t *testing.T) {
	p, err := DefaultPack()
	if err != nil {
		t.Fatal(err)
	}
	got, err := PrepareSay("12.50", ChannelWeChat, TwoEr, p, 100)
	if err != nil {
		t.Fatal(err)
	}
	if got.Fen != 1250 || got.Utterance.Text != "微信收款十二点五元" {
		t.Errorf("PrepareSay = %d %q", got.Fen, got.Utterance.Text)
	}
	want, _ := p.Synthesize(got.Utterance.Tokens, 100)
	if !bytes.Equal(got.WAV, want) {
		t.Error("PrepareSay WAV differs from Synthesize")
	}
	for _, bad := range []string{"0", "-3", "1.234", "abc", "10000000000000000"} {
		if _, err := PrepareSay(bad, ChannelWeChat, TwoEr, p, 100); err == nil {
			t.Errorf("PrepareSay(%q): no error", bad)
		}
	}
}
