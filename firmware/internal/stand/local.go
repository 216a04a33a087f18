package stand

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/qrstand/qrstand/display"
	"github.com/qrstand/qrstand/firmware/internal/journal"
	"github.com/qrstand/qrstand/mqtt"
)

// Local is what a stand remembers between runs, read from its journal
// (for `qrstand show` and `qrstand status`, which run beside the daemon).
type Local struct {
	Store      *mqtt.StoreConfig `json:"store,omitempty"`
	Pair       *mqtt.PairCode    `json:"pair,omitempty"`
	LastSeq    int64             `json:"last_seq"`
	Unfinished int               `json:"unfinished"`
	Today      journal.Totals    `json:"today"`
}

// ReadLocal reads the local state from j.
func ReadLocal(ctx context.Context, j *journal.Journal, now time.Time) (Local, error) {
	var l Local
	if b, err := j.Setting(ctx, keyStoreConfig); err == nil {
		l.Store = new(mqtt.StoreConfig)
		if err := json.Unmarshal(b, l.Store); err != nil {
			return l, err
		}
	} else if !errors.Is(err, journal.ErrNotFound) {
		return l, err
	}
	if b, err := j.Setting(ctx, keyPairCode); err == nil {
		l.Pair = new(mqtt.PairCode)
		if err := json.Unmarshal(b, l.Pair); err != nil {
			return l, err
		}
	} else if !errors.Is(err, journal.ErrNotFound) {
		return l, err
	}
	var err error
	if l.LastSeq, err = j.LastSeq(ctx); err != nil {
		return l, err
	}
	un, err := j.Unfinished(ctx)
	if err != nil {
		return l, err
	}
	l.Unfinished = len(un)
	l.Today, err = j.DayTotals(ctx, now)
	return l, err
}

// Screen is the screen the stand shows when nothing is happening.
func (l Local) Screen(now time.Time) display.Screen {
	switch {
	case l.Store != nil && l.Store.Bound:
		return display.Store{Name: l.Store.StoreName, URL: l.Store.QRURL}
	case l.Pair != nil && now.Before(l.Pair.ExpiresAt):
		return display.Pairing{URL: l.Pair.URL, Code: l.Pair.Code}
	}
	return display.Offline{}
}
