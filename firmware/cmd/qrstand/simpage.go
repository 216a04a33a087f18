package main

import (
	"context"
	"time"

	"github.com/qrstand/qrstand/firmware/internal/journal"
	"github.com/qrstand/qrstand/firmware/internal/power"
	"github.com/qrstand/qrstand/firmware/internal/simweb"
	"github.com/qrstand/qrstand/firmware/internal/stand"
)

// simOptions gives the simulator page a clickable QR (what the screen
// shows: the store code, or the pairing link) and the hardware buttons.
func simOptions(s *stand.Stand, j *journal.Journal, now func() time.Time, knobs *simweb.Knobs) simweb.Options {
	return simweb.Options{
		Knobs: knobs,
		QR: func(ctx context.Context) string {
			l, err := stand.ReadLocal(ctx, j, now())
			switch {
			case err != nil:
				return ""
			case l.Store != nil && l.Store.Bound:
				return l.Store.QRURL
			case l.Pair != nil:
				return l.Pair.URL
			}
			return ""
		},
		Buttons: []simweb.Button{
			{Name: "repeat", Label: "重播 Repeat last", Press: s.RepeatLast},
			{Name: "reprint", Label: "补打 Reprint", Press: func(ctx context.Context) error { return s.Reprint(ctx, "") }},
			{Name: "today", Label: "今日汇总 Today's total", Press: s.PrintToday},
			{Name: "volume", Label: "音量 Volume", Press: s.VolumeStep},
		},
	}
}

// simKnobs lets the page run the simulated printer out of paper and set
// the simulated battery (when the stand reads one from DIR/battery); each
// change makes the stand look at once, so the cloud hears it.
func simKnobs(s *stand.Stand, pr any, bat stand.BatterySource, batteryFile string) *simweb.Knobs {
	paper, ok := pr.(interface {
		Paper() string
		SetPaper(string)
	})
	if !ok {
		return nil
	}
	k := &simweb.Knobs{
		Paper: paper.Paper,
		SetPaper: func(_ context.Context, state string) error {
			paper.SetPaper(state)
			s.CheckNow()
			return nil
		},
	}
	if bat != nil && batteryFile != "" {
		f := power.FileSensor{Path: batteryFile}
		k.Battery = func() (int, bool, bool) {
			b, err := bat.Read()
			return b.Percent, b.Charging, err == nil
		}
		k.SetBattery = func(_ context.Context, pct int, charging bool) error {
			if err := f.Set(pct, charging, nil); err != nil {
				return err
			}
			s.CheckNow()
			return nil
		}
	}
	return k
}
