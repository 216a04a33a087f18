package speech

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEncodeDecodeWAV(t *testing.T) {
	for _, f := range []Format{DefaultFormat, {SampleRate: 22050, Channels: 1, Bits: 16}, {SampleRate: 48000, Channels: 2, Bits: 16}} {
		pcm := []byte{1, 2, 3, 4, 5, 6, 7, 8}
		w := EncodeWAV(f, pcm)
		if len(w) != wavHeaderSize+len(pcm) {
			t.Fatalf("len = %d", len(w))
		}
		gf, gpcm, err := DecodeWAV(w)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(gf, f); diff != "" {
			t.Errorf("format (-got +want):\n%s", diff)
		}
		if !bytes.Equal(gpcm, pcm) {
			t.Errorf("pcm = %v, want %v", gpcm, pcm)
		}
	}
}

// wavWith builds a WAV by hand from raw chunks, to test the decoder on
// layouts our encoder never writes.
func wavWith(chunks ...[]byte) []byte {
	body := []byte("WAVE")
	for _, c := range chunks {
		body = append(body, c...)
	}
	out := append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(len(body)))...)
	return append(out, body...)
}

func chunk(id string, body []byte) []byte {
	c := append([]byte(id), binary.LittleEndian.AppendUint32(nil, uint32(len(body)))...)
	c = append(c, body...)
	if len(body)%2 == 1 {
		c = append(c, 0)
	}
	return c
}

func fmtBody(tag uint16, ch, rate, bits int, extra ...byte) []byte {
	le := binary.LittleEndian
	b := le.AppendUint16(nil, tag)
	b = le.AppendUint16(b, uint16(ch))
	b = le.AppendUint32(b, uint32(rate))
	b = le.AppendUint32(b, uint32(rate*ch*bits/8))
	b = le.AppendUint16(b, uint16(ch*bits/8))
	b = le.AppendUint16(b, uint16(bits))
	return append(b, extra...)
}

func TestDecodeWAVLayouts(t *testing.T) {
	pcm := []byte{1, 0, 2, 0}
	// WAVE_FORMAT_EXTENSIBLE with the PCM sub-format, as some recorders write.
	ext := []byte{22, 0, 16, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71}
	f, got, err := DecodeWAV(wavWith(chunk("fmt ", fmtBody(wavExtensible, 1, 16000, 16, ext...)), chunk("data", pcm)))
	if err != nil || f != DefaultFormat || !bytes.Equal(got, pcm) {
		t.Errorf("extensible: %v %v %v", f, got, err)
	}
	// An odd-sized LIST chunk (padded) before data.
	f, got, err = DecodeWAV(wavWith(chunk("fmt ", fmtBody(wavPCM, 1, 16000, 16)), chunk("LIST", []byte("abc")), chunk("data", pcm)))
	if err != nil || f != DefaultFormat || !bytes.Equal(got, pcm) {
		t.Errorf("LIST chunk: %v %v %v", f, got, err)
	}
	// A streamed file whose data size was never filled in.
	streamed := wavWith(chunk("fmt ", fmtBody(wavPCM, 1, 16000, 16)), []byte("data\xff\xff\xff\xff"), pcm)
	if _, got, err = DecodeWAV(streamed); err != nil || !bytes.Equal(got, pcm) {
		t.Errorf("streamed: %v %v", got, err)
	}
}

func TestDecodeWAVErrors(t *testing.T) {
	pcm := chunk("data", []byte{0, 0})
	for name, b := range map[string][]byte{
		"empty":      nil,
		"not riff":   []byte("RIFX\x00\x00\x00\x00WAVE"),
		"no fmt":     wavWith(pcm),
		"no data":    wavWith(chunk("fmt ", fmtBody(wavPCM, 1, 16000, 16))),
		"float":      wavWith(chunk("fmt ", fmtBody(3, 1, 16000, 32)), pcm),
		"8 bit":      wavWith(chunk("fmt ", fmtBody(wavPCM, 1, 16000, 8)), pcm),
		"24 bit":     wavWith(chunk("fmt ", fmtBody(wavPCM, 1, 16000, 24)), pcm),
		"6 channels": wavWith(chunk("fmt ", fmtBody(wavPCM, 6, 16000, 16)), pcm),
		"rate 4 kHz": wavWith(chunk("fmt ", fmtBody(wavPCM, 1, 4000, 16)), pcm),
		"short fmt":  wavWith(chunk("fmt ", []byte{1, 0, 1, 0})),
		"torn fmt":   wavWith([]byte("fmt \x10\x00\x00\x00\x01\x00")),
	} {
		t.Run(name, func(t *testing.T) {
			if _, _, err := DecodeWAV(b); !errors.Is(err, ErrBadWAV) {
				t.Fatalf("DecodeWAV error = %v, want ErrBadWAV", err)
			}
		})
	}
}

// FuzzDecodeWAV: clips come from outside (human packs), so the decoder must
// never panic, and whatever it accepts is a valid format with whole frames
// that re-encodes to the same samples.
func FuzzDecodeWAV(f *testing.F) {
	f.Add(EncodeWAV(DefaultFormat, []byte{1, 2, 3, 4}))
	f.Add(wavWith(chunk("fmt ", fmtBody(wavPCM, 2, 44100, 16)), chunk("LIST", []byte("x")), chunk("data", []byte{1, 2, 3, 4, 5})))
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVEdata"))
	f.Fuzz(func(t *testing.T, b []byte) {
		fm, pcm, err := DecodeWAV(b)
		if err != nil {
			if !errors.Is(err, ErrBadWAV) {
				t.Fatalf("error %v does not wrap ErrBadWAV", err)
			}
			return
		}
		if err := fm.Validate(); err != nil {
			t.Fatalf("accepted invalid format: %v", err)
		}
		if len(pcm)%fm.frameBytes() != 0 {
			t.Fatalf("%d bytes is not whole frames of %v", len(pcm), fm)
		}
		f2, pcm2, err := DecodeWAV(EncodeWAV(fm, pcm))
		if err != nil || f2 != fm || !bytes.Equal(pcm2, pcm) {
			t.Fatalf("re-encode round trip: %v %v", f2, err)
		}
	})
}
