package speech

import (
	"encoding/binary"
	"fmt"
)

// Format is the PCM format of a clip or a pack. Only 16-bit signed
// little-endian PCM is supported: it is what aplay plays everywhere and what
// software volume scaling works on.
type Format struct {
	SampleRate int `json:"sample_rate"` // Hz, 8000–48000
	Channels   int `json:"channels"`    // 1 or 2
	Bits       int `json:"bits"`        // 16
}

// DefaultFormat is the format of the default pack: 16 kHz mono 16-bit, ample
// for speech through a small speaker and a third the size of 48 kHz.
var DefaultFormat = Format{SampleRate: 16000, Channels: 1, Bits: 16}

func (f Format) String() string {
	return fmt.Sprintf("%d Hz %d-bit %d ch", f.SampleRate, f.Bits, f.Channels)
}

// Validate checks that f is a supported format.
func (f Format) Validate() error {
	if f.SampleRate < 8000 || f.SampleRate > 48000 {
		return fmt.Errorf("speech: sample rate %d Hz outside 8000–48000", f.SampleRate)
	}
	if f.Channels != 1 && f.Channels != 2 {
		return fmt.Errorf("speech: %d channels, want 1 or 2", f.Channels)
	}
	if f.Bits != 16 {
		return fmt.Errorf("speech: %d-bit samples, want 16-bit PCM", f.Bits)
	}
	return nil
}

// frameBytes is the size of one sample frame (all channels).
func (f Format) frameBytes() int { return f.Channels * f.Bits / 8 }

// samples converts a duration in milliseconds to whole frames (rounded down).
func (f Format) samples(ms int) int { return f.SampleRate * ms / 1000 }

const (
	wavPCM        = 1
	wavExtensible = 0xFFFE
	wavHeaderSize = 44
)

// DecodeWAV reads a RIFF/WAVE file of 16-bit PCM and returns its format and
// the raw sample bytes of its data chunk. Chunks other than "fmt " and "data"
// (LIST, fact, …) are skipped.
func DecodeWAV(b []byte) (Format, []byte, error) {
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return Format{}, nil, fmt.Errorf("%w: not a RIFF/WAVE file", ErrBadWAV)
	}
	var (
		f       Format
		haveFmt bool
	)
	for p := 12; p+8 <= len(b); {
		id := string(b[p : p+4])
		size := int64(binary.LittleEndian.Uint32(b[p+4 : p+8]))
		body := int64(p + 8)
		end := body + size
		if end > int64(len(b)) {
			if id != "data" {
				return Format{}, nil, fmt.Errorf("%w: chunk %q runs past the end of the file", ErrBadWAV, id)
			}
			// Streams written to a pipe (sox, arecord) may leave the data size
			// unset; take what is there.
			end = int64(len(b))
		}
		switch id {
		case "fmt ":
			if size < 16 {
				return Format{}, nil, fmt.Errorf("%w: fmt chunk of %d bytes", ErrBadWAV, size)
			}
			c := b[body:end]
			tag := binary.LittleEndian.Uint16(c[0:2])
			f = Format{
				Channels:   int(binary.LittleEndian.Uint16(c[2:4])),
				SampleRate: int(binary.LittleEndian.Uint32(c[4:8])),
				Bits:       int(binary.LittleEndian.Uint16(c[14:16])),
			}
			if tag == wavExtensible && len(c) >= 26 {
				tag = binary.LittleEndian.Uint16(c[24:26]) // first two bytes of the SubFormat GUID
			}
			if tag != wavPCM {
				return Format{}, nil, fmt.Errorf("%w: format tag %#x is not PCM", ErrBadWAV, tag)
			}
			if err := f.Validate(); err != nil {
				return Format{}, nil, fmt.Errorf("%w: %w", ErrBadWAV, err)
			}
			if align := int(binary.LittleEndian.Uint16(c[12:14])); align != f.frameBytes() {
				return Format{}, nil, fmt.Errorf("%w: block align %d, want %d for %v", ErrBadWAV, align, f.frameBytes(), f)
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return Format{}, nil, fmt.Errorf("%w: data chunk before fmt chunk", ErrBadWAV)
			}
			data := b[body:end]
			data = data[:len(data)-len(data)%f.frameBytes()] // drop a torn last frame
			return f, data, nil
		}
		p = int(end + end&1) // chunks are padded to an even size
	}
	if !haveFmt {
		return Format{}, nil, fmt.Errorf("%w: no fmt chunk", ErrBadWAV)
	}
	return Format{}, nil, fmt.Errorf("%w: no data chunk", ErrBadWAV)
}

// appendWAVHeader appends the 44-byte canonical header of a PCM WAV holding
// dataBytes of samples.
func appendWAVHeader(dst []byte, f Format, dataBytes int) []byte {
	le := binary.LittleEndian
	dst = append(dst, "RIFF"...)
	dst = le.AppendUint32(dst, uint32(36+dataBytes))
	dst = append(dst, "WAVEfmt "...)
	dst = le.AppendUint32(dst, 16)
	dst = le.AppendUint16(dst, wavPCM)
	dst = le.AppendUint16(dst, uint16(f.Channels))
	dst = le.AppendUint32(dst, uint32(f.SampleRate))
	dst = le.AppendUint32(dst, uint32(f.SampleRate*f.frameBytes())) // byte rate
	dst = le.AppendUint16(dst, uint16(f.frameBytes()))              // block align
	dst = le.AppendUint16(dst, uint16(f.Bits))
	dst = append(dst, "data"...)
	return le.AppendUint32(dst, uint32(dataBytes))
}

// EncodeWAV returns a canonical 44-byte-header PCM WAV of the given samples
// (16-bit little-endian, interleaved).
func EncodeWAV(f Format, pcm []byte) []byte {
	return append(appendWAVHeader(make([]byte, 0, wavHeaderSize+len(pcm)), f, len(pcm)), pcm...)
}
