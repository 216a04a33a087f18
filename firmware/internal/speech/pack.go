package speech

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"time"
)

// ManifestFile is the name of a pack's manifest inside its folder.
const ManifestFile = "manifest.json"

// Manifest describes a voice pack. It is stored as manifest.json beside the
// clips.
type Manifest struct {
	Name    string `json:"name"`
	Format  Format `json:"format"`   // every clip must be in exactly this format
	GapMS   int    `json:"gap_ms"`   // silence between two clips, 0–1000
	PauseMS int    `json:"pause_ms"` // silence for a Pause token ("，"), 0–2000
	Licence string `json:"licence"`  // licence of the recordings; required
	Credit  string `json:"credit"`   // who or what made them
}

// Validate checks the manifest's own fields.
func (m Manifest) Validate() error {
	var errs []error
	if err := m.Format.Validate(); err != nil {
		errs = append(errs, err)
	}
	if m.GapMS < 0 || m.GapMS > 1000 {
		errs = append(errs, fmt.Errorf("gap_ms %d outside 0–1000", m.GapMS))
	}
	if m.PauseMS < 0 || m.PauseMS > 2000 {
		errs = append(errs, fmt.Errorf("pause_ms %d outside 0–2000", m.PauseMS))
	}
	if m.Licence == "" {
		errs = append(errs, errors.New("licence is empty: say under which licence the clips may be shipped"))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrBadManifest, errors.Join(errs...))
	}
	return nil
}

// Pack is a validated voice pack: one clip per token, all in one format. It is
// immutable after LoadPack and safe for concurrent use.
type Pack struct {
	Manifest Manifest
	clips    map[Token][]byte // raw PCM sample bytes, no header
}

// Format is the format every clip of the pack, and every WAV synthesised
// from it, shares.
func (p *Pack) Format() Format { return p.Manifest.Format }

// ClipFrames returns the length of a token's clip in frames (samples per
// channel); 0 and false for a token without a clip.
func (p *Pack) ClipFrames(t Token) (int, bool) {
	c, ok := p.clips[t]
	if !ok {
		return 0, false
	}
	return len(c) / p.Format().frameBytes(), true
}

// Duration is the playing time of frames in this pack's format.
func (p *Pack) Duration(frames int) time.Duration {
	return time.Duration(frames) * time.Second / time.Duration(p.Format().SampleRate)
}

// LoadPack reads and validates a voice pack from the root of fsys (a
// directory with os.DirFS, or an embed.FS sub-tree): manifest.json plus one
// WAV per entry of Clips(). Every problem is reported at once, each wrapping
// ErrBadManifest, ErrMissingClip, ErrBadWAV or ErrFormatMismatch, so a person
// recording a pack sees the whole list. Files not named in Clips() are
// ignored.
func LoadPack(fsys fs.FS) (*Pack, error) {
	raw, err := fs.ReadFile(fsys, ManifestFile)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadManifest, err)
	}
	var m Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrBadManifest, ManifestFile, err)
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	p := &Pack{Manifest: m, clips: make(map[Token][]byte, len(clipTable))}
	var errs []error
	for _, c := range Clips() {
		b, err := fs.ReadFile(fsys, c.File)
		if errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("%w: %s (%s, say %q)", ErrMissingClip, c.File, c.Token, c.Pinyin))
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("speech: clip %s: %w", c.File, err))
			continue
		}
		f, pcm, err := DecodeWAV(b)
		if err != nil {
			errs = append(errs, fmt.Errorf("clip %s: %w", c.File, err))
			continue
		}
		if f != m.Format {
			errs = append(errs, fmt.Errorf("%w: %s is %v, pack is %v", ErrFormatMismatch, c.File, f, m.Format))
			continue
		}
		if len(pcm) == 0 {
			errs = append(errs, fmt.Errorf("%w: clip %s has no samples", ErrBadWAV, c.File))
			continue
		}
		p.clips[c.Token] = pcm
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("speech: voice pack %q: %w", m.Name, errors.Join(errs...))
	}
	return p, nil
}
