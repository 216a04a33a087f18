package stand

import (
	"context"
	"errors"
	"time"

	"github.com/qrstand/qrstand/firmware/internal/journal"
	"github.com/qrstand/qrstand/firmware/internal/speech"
	"github.com/qrstand/qrstand/mqtt"
)

// command runs an operator's stand.command. Failures are logged: the
// command was acked when it was journaled, and an operator sees the result
// on the stand (or in the next status).
func (s *Stand) command(ctx context.Context, c *mqtt.StandCommand) {
	s.cfg.Log.Info("stand: command", "command", c.Command, "by", c.By)
	var err error
	switch c.Command {
	case mqtt.CommandTestPrint:
		err = s.PrintTestPage(ctx)
	case mqtt.CommandTestVoice:
		err = s.TestVoice(ctx)
	case mqtt.CommandReprint:
		err = s.Reprint(ctx, c.EventID)
	case mqtt.CommandRefreshDisplay:
		err = s.d.Face.Refresh()
	case mqtt.CommandUpdate:
		if s.cfg.Update == nil {
			err = errors.New("stand: updates not available")
			break
		}
		s.cfg.Update(c.Update)
	case mqtt.CommandReboot:
		if s.cfg.Reboot == nil {
			err = errors.New("stand: reboot not available")
			break
		}
		// Give standclient time to send the ack first, or the command would
		// come back after the reboot.
		time.AfterFunc(2*time.Second, func() {
			if err := s.cfg.Reboot(); err != nil {
				s.cfg.Log.Error("stand: reboot", "err", err)
			}
		})
	}
	if err != nil {
		s.cfg.Log.Warn("stand: command failed", "command", c.Command, "err", err)
	}
}

// TestVoice speaks the sound check (一，二，三，四，五): never a sample
// payment, which a cashier could take for money received.
func (s *Stand) TestVoice(ctx context.Context) error {
	return s.d.Announcer.Say(ctx, speech.SoundCheck())
}

// RepeatLast speaks the last payment (or refund) again.
func (s *Stand) RepeatLast(ctx context.Context) error {
	e, err := s.d.Journal.Last(ctx, mqtt.KindPaymentPaid, mqtt.KindPaymentRefunded)
	if errors.Is(err, journal.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	var u speech.Utterance
	if e.Kind == mqtt.KindPaymentRefunded {
		u, err = speech.Refund(e.Fen, s.two())
	} else {
		u, err = speech.Payment(speechChannel(e.Channel), e.Fen, s.two())
	}
	if err != nil {
		return err
	}
	return s.d.Announcer.Say(ctx, u)
}

// VolumeStep moves the volume one step (20 points) up, wrapping from 100
// to 0 and back, and says the sound check so the clerk hears the new level.
func (s *Stand) VolumeStep(ctx context.Context) error {
	v := s.d.Announcer.Volume() + 20
	if v > 100 {
		v = 0
	}
	if err := s.d.Announcer.SetVolume(v); err != nil {
		return err
	}
	s.sendStatus(ctx, false)
	return s.TestVoice(ctx)
}
