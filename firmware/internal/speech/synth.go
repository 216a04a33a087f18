package speech

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Frames returns the length in frames of what Synthesize makes of tokens:
// the clips, plus the pack's gap between every two clips that follow each
// other directly, plus pause_ms for each Pause token (with no gap beside it).
// Gap and pause lengths are rate*ms/1000 frames, rounded down.
func (p *Pack) Frames(tokens []Token) (int, error) {
	n, prevClip := 0, false
	for _, t := range tokens {
		if t == Pause {
			n += p.Format().samples(p.Manifest.PauseMS)
			prevClip = false
			continue
		}
		c, ok := p.clips[t]
		if !ok {
			return 0, fmt.Errorf("%w: token %q", ErrUnknownText, t)
		}
		if prevClip {
			n += p.Format().samples(p.Manifest.GapMS)
		}
		n += len(c) / p.Format().frameBytes()
		prevClip = true
	}
	return n, nil
}

// Synthesize renders tokens as one WAV in the pack's format (layout as
// documented on Frames) at volume percent 0–100, scaling every sample by
// volume/100 (linear amplitude; 100 leaves the clips untouched). It keeps no
// state: the same input gives the same bytes.
func (p *Pack) Synthesize(tokens []Token, volume int) ([]byte, error) {
	if volume < 0 || volume > 100 {
		return nil, fmt.Errorf("speech: volume %d outside 0–100", volume)
	}
	if len(tokens) == 0 {
		return nil, errors.New("speech: nothing to say")
	}
	frames, err := p.Frames(tokens)
	if err != nil {
		return nil, err
	}
	f := p.Format()
	dataBytes := frames * f.frameBytes()
	out := appendWAVHeader(make([]byte, 0, wavHeaderSize+dataBytes), f, dataBytes)
	gap := make([]byte, f.samples(p.Manifest.GapMS)*f.frameBytes())
	pause := make([]byte, f.samples(p.Manifest.PauseMS)*f.frameBytes())
	prevClip := false
	for _, t := range tokens {
		if t == Pause {
			out = append(out, pause...)
			prevClip = false
			continue
		}
		if prevClip {
			out = append(out, gap...)
		}
		start := len(out)
		out = append(out, p.clips[t]...)
		scale(out[start:], volume)
		prevClip = true
	}
	return out, nil
}

// scale multiplies 16-bit little-endian samples by volume/100 in place.
func scale(pcm []byte, volume int) {
	if volume == 100 {
		return
	}
	v := int32(volume)
	for i := 0; i+1 < len(pcm); i += 2 {
		s := int32(int16(binary.LittleEndian.Uint16(pcm[i:])))
		binary.LittleEndian.PutUint16(pcm[i:], uint16(int16(s*v/100)))
	}
}
