package main

import (
	"context"
	"time"

	"github.com/qrstand/qrstand/firmware/internal/journal"
	"github.com/qrstand/qrstand/firmware/internal/simweb"
	"github.com/qrstand/qrstand/firmware/internal/stand"
)

// simOptions gives the simulator page a clickable QR (what the screen
// shows: the store code, or the pairing link) and the hardware buttons.
func simOptions(s *stand.Stand, j *journal.Journal, now func() time.Time) simweb.Options {
	return simweb.Options{
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
