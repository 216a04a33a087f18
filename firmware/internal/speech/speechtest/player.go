// Package speechtest holds a fake speech.Player for tests.
package speechtest

import (
	"context"
	"sync"
)

// Player records every WAV it is asked to play instead of playing it.
// Set Err to make Play fail. Safe for concurrent use.
type Player struct {
	mu    sync.Mutex
	plays [][]byte
	// Err, when set, is returned by Play (the WAV is still recorded).
	Err error
}

// Play records a copy of wav.
func (p *Player) Play(ctx context.Context, wav []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.plays = append(p.plays, append([]byte(nil), wav...))
	return p.Err
}

// Plays returns the WAVs played so far, oldest first.
func (p *Player) Plays() [][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([][]byte(nil), p.plays...)
}
