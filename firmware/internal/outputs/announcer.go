package outputs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/qrstand/qrstand/firmware/internal/speech"
)

// Announcer speaks utterances; *speech.Speaker is one, SimAnnouncer another.
type Announcer interface {
	// Announce speaks an announcement the stand makes on its own; during
	// quiet hours it returns speech.ErrQuietHours and plays nothing.
	Announce(ctx context.Context, u speech.Utterance) error
	// Say speaks u now, whatever the quiet hours (a person asked).
	Say(ctx context.Context, u speech.Utterance) error
	Two() speech.TwoStyle
	Volume() int
	SetVolume(v int) error
}

// SimAnnouncer writes every announcement into Dir as announce-NNNNNN.txt
// (the text) and announce-NNNNNN.wav (what the speaker would play, at the
// current volume), and then lets Speaker play it (its Player may be a
// recorder or aplay).
type SimAnnouncer struct {
	*speech.Speaker
	Dir string

	mu sync.Mutex
	n  int
	// Texts is every text announced, oldest first.
	texts []string
}

// NewSimAnnouncer creates dir if needed.
func NewSimAnnouncer(s *speech.Speaker, dir string) (*SimAnnouncer, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("outputs: %w", err)
	}
	old, _ := filepath.Glob(filepath.Join(dir, "announce-*.txt"))
	return &SimAnnouncer{Speaker: s, Dir: dir, n: len(old)}, nil
}

func (a *SimAnnouncer) record(u speech.Utterance) error {
	wav, err := a.Speaker.Render(u)
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.n++
	base := filepath.Join(a.Dir, fmt.Sprintf("announce-%06d", a.n))
	if err := writeAtomic(base+".wav", wav); err != nil {
		return err
	}
	if err := writeAtomic(base+".txt", []byte(u.Text+"\n")); err != nil {
		return err
	}
	a.texts = append(a.texts, u.Text)
	return nil
}

// Announce implements Announcer.
func (a *SimAnnouncer) Announce(ctx context.Context, u speech.Utterance) error {
	if a.Speaker.Quiet() {
		return speech.ErrQuietHours
	}
	if err := a.record(u); err != nil {
		return err
	}
	err := a.Speaker.Announce(ctx, u)
	if errors.Is(err, speech.ErrQuietHours) {
		return nil // became quiet in between: the record stands
	}
	return err
}

// Say implements Announcer.
func (a *SimAnnouncer) Say(ctx context.Context, u speech.Utterance) error {
	if err := a.record(u); err != nil {
		return err
	}
	return a.Speaker.Say(ctx, u)
}

// Texts returns every text announced so far, oldest first.
func (a *SimAnnouncer) Texts() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.texts...)
}
