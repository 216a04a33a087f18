package speech

import (
	"bytes"
	"encoding/binary"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// clipPCM reads a clip of the embedded default pack straight from its file,
// independently of the loaded Pack.
func clipPCM(t *testing.T, tok Token) []byte {
	t.Helper()
	for _, c := range Clips() {
		if c.Token == tok {
			b, err := fs.ReadFile(defaultPackFS, "packs/default/"+c.File)
			if err != nil {
				t.Fatal(err)
			}
			_, pcm, err := DecodeWAV(b)
			if err != nil {
				t.Fatal(err)
			}
			return pcm
		}
	}
	t.Fatalf("no clip for %q", tok)
	return nil
}

// checkHeader checks every field of the canonical 44-byte header by hand.
func checkHeader(t *testing.T, w []byte, f Format) (dataBytes int) {
	t.Helper()
	le := binary.LittleEndian
	if len(w) < 44 {
		t.Fatalf("wav of %d bytes", len(w))
	}
	check := func(what string, got, want any) {
		t.Helper()
		if got != want {
			t.Errorf("header %s = %v, want %v", what, got, want)
		}
	}
	check("RIFF", string(w[0:4]), "RIFF")
	check("RIFF size", int(le.Uint32(w[4:])), len(w)-8)
	check("WAVE", string(w[8:12]), "WAVE")
	check("fmt id", string(w[12:16]), "fmt ")
	check("fmt size", le.Uint32(w[16:]), uint32(16))
	check("format tag", le.Uint16(w[20:]), uint16(1))
	check("channels", int(le.Uint16(w[22:])), f.Channels)
	check("sample rate", int(le.Uint32(w[24:])), f.SampleRate)
	check("byte rate", int(le.Uint32(w[28:])), f.SampleRate*f.Channels*2)
	check("block align", int(le.Uint16(w[32:])), f.Channels*2)
	check("bits", int(le.Uint16(w[34:])), 16)
	check("data id", string(w[36:40]), "data")
	check("data size", int(le.Uint32(w[40:])), len(w)-44)
	return int(le.Uint32(w[40:]))
}

func TestSynthesizeWellFormed(t *testing.T) {
	p, err := DefaultPack()
	if err != nil {
		t.Fatal(err)
	}
	f := p.Format()
	gap := f.SampleRate * p.Manifest.GapMS / 1000
	pause := f.SampleRate * p.Manifest.PauseMS / 1000
	if gap == 0 || pause == 0 {
		t.Fatalf("default pack has gap %d and pause %d frames; the test needs both non-zero", gap, pause)
	}
	for _, tc := range []struct {
		name string
		make func() (Utterance, error)
	}{
		{"wechat 12.50", func() (Utterance, error) { return Payment(ChannelWeChat, 1250, TwoEr) }},
		{"alipay 99999999.99", func() (Utterance, error) { return Payment(ChannelAlipay, 9999999999, TwoEr) }},
		{"one clip", func() (Utterance, error) { return Payment(ChannelNone, 200, TwoLiang) }},
		{"summary with pause", func() (Utterance, error) { return OfflineSummary(500, 45550, TwoEr) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, err := tc.make()
			if err != nil {
				t.Fatal(err)
			}
			w, err := p.Synthesize(u.Tokens, 100)
			if err != nil {
				t.Fatal(err)
			}
			dataBytes := checkHeader(t, w, f)

			// Expected: each clip's samples as stored in its file, a gap of
			// silence between clips that touch, pause_ms for "，".
			var want []byte
			prevClip := false
			for _, tok := range u.Tokens {
				if tok == Pause {
					want = append(want, make([]byte, pause*2)...)
					prevClip = false
					continue
				}
				if prevClip {
					want = append(want, make([]byte, gap*2)...)
				}
				want = append(want, clipPCM(t, tok)...)
				prevClip = true
			}
			if dataBytes != len(want) {
				t.Fatalf("data is %d frames, want %d (clips plus gaps)", dataBytes/2, len(want)/2)
			}
			if !bytes.Equal(w[44:], want) {
				t.Fatal("samples differ from the clips plus gaps")
			}
			frames, err := p.Frames(u.Tokens)
			if err != nil || frames != len(want)/2 {
				t.Errorf("Frames = %d, %v; want %d", frames, err, len(want)/2)
			}
			// And the decoder agrees with the header.
			gf, pcm, err := DecodeWAV(w)
			if err != nil || gf != f || len(pcm) != dataBytes {
				t.Errorf("DecodeWAV = %v, %d bytes, %v", gf, len(pcm), err)
			}
		})
	}
}

func TestSynthesizeVolume(t *testing.T) {
	p, err := DefaultPack()
	if err != nil {
		t.Fatal(err)
	}
	toks := []Token{Shi, Er}
	full, err := p.Synthesize(toks, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, vol := range []int{0, 1, 37, 50, 99} {
		got, err := p.Synthesize(toks, vol)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(full) {
			t.Fatalf("volume %d: %d bytes, want %d", vol, len(got), len(full))
		}
		for i := 44; i < len(full); i += 2 {
			s := int32(int16(binary.LittleEndian.Uint16(full[i:])))
			want := int16(s * int32(vol) / 100)
			if g := int16(binary.LittleEndian.Uint16(got[i:])); g != want {
				t.Fatalf("volume %d: sample %d = %d, want %d", vol, (i-44)/2, g, want)
			}
		}
	}
	// Scaling works on a copy: the pack's clips stay intact.
	again, _ := p.Synthesize(toks, 100)
	if !bytes.Equal(again, full) {
		t.Fatal("a quiet synthesis changed the pack's clips")
	}
	for _, bad := range []int{-1, 101} {
		if _, err := p.Synthesize(toks, bad); err == nil {
			t.Errorf("volume %d: no error", bad)
		}
	}
}

func TestSynthesizeErrors(t *testing.T) {
	p, err := DefaultPack()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Synthesize(nil, 80); err == nil {
		t.Error("empty token list: no error")
	}
	if _, err := p.Synthesize([]Token{Shi, "块"}, 80); err == nil {
		t.Error("unknown token: no error")
	}
}

// requireTool finds a Debian tool for a test; absent, the test skips, except
// under CI=true where the tool must be installed.
func requireTool(t *testing.T, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not found; CI must install the Debian package %s", name, pkg)
		}
		t.Skipf("%s not found (apt-get install %s)", name, pkg)
	}
	return path
}

// TestSoxReadsSynthesis has an independent WAV reader (sox) agree on format
// and length in samples.
func TestSoxReadsSynthesis(t *testing.T) {
	soxi := requireTool(t, "soxi", "sox")
	p, err := DefaultPack()
	if err != nil {
		t.Fatal(err)
	}
	u, err := OfflineSummary(3, 4550, TwoEr)
	if err != nil {
		t.Fatal(err)
	}
	w, err := p.Synthesize(u.Tokens, 80)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "out.wav")
	if err := os.WriteFile(path, w, 0o644); err != nil {
		t.Fatal(err)
	}
	frames, _ := p.Frames(u.Tokens)
	for flag, want := range map[string]string{"-r": "16000", "-c": "1", "-b": "16", "-s": strconv.Itoa(frames), "-e": "Signed Integer PCM"} {
		out, err := exec.Command(soxi, flag, path).CombinedOutput()
		if err != nil {
			t.Fatalf("soxi %s: %v: %s", flag, err, out)
		}
		if got := strings.TrimSpace(string(out)); got != want {
			t.Errorf("soxi %s = %q, want %q", flag, got, want)
		}
	}
}
