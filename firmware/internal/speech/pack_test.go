package speech

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDefaultPack(t *testing.T) {
	p, err := DefaultPack()
	if err != nil {
		t.Fatal(err)
	}
	if p.Format() != DefaultFormat {
		t.Errorf("format %v, want %v", p.Format(), DefaultFormat)
	}
	if p.Manifest.Licence == "" {
		t.Error("default pack has no licence")
	}
	for _, c := range Clips() {
		n, ok := p.ClipFrames(c.Token)
		if !ok || n == 0 {
			t.Errorf("clip %s: %d frames, present %v", c.File, n, ok)
		}
		// Trimmed clips: no single syllable should run past a second, no
		// phrase past three.
		if d := p.Duration(n); d > 3e9 {
			t.Errorf("clip %s lasts %v: silence not trimmed?", c.File, d)
		}
	}
	if _, ok := p.ClipFrames(Pause); ok {
		t.Error("Pause has a clip")
	}
}

// copyDefaultPack writes the source tree's pack into a fresh folder a test
// may break.
func copyDefaultPack(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "pack")
	if err := os.CopyFS(dir, os.DirFS("packs/default")); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestLoadPackFromFolder(t *testing.T) {
	dir := copyDefaultPack(t)
	if _, err := LoadPack(os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Pack = dir
	if _, err := cfg.OpenPack(); err != nil {
		t.Fatal(err)
	}
	cfg.Pack = filepath.Join(dir, "nope")
	if _, err := cfg.OpenPack(); err == nil {
		t.Error("OpenPack of a missing folder: no error")
	}
}

// The binary holds no voice: with no pack configured it reads
// DefaultPackDir, and says how to get a pack when that is missing.
func TestOpenPackDefaultDir(t *testing.T) {
	if _, err := os.Stat(DefaultPackDir); err == nil {
		t.Skipf("%s is installed on this machine; the missing-pack message is not reachable", DefaultPackDir)
	}
	_, err := DefaultConfig().OpenPack()
	if err == nil || !strings.Contains(err.Error(), DefaultPackDir) || !strings.Contains(err.Error(), "qrstand-voice-espeak") {
		t.Fatalf("OpenPack with no pack installed: %v, want a message naming %s and the package", err, DefaultPackDir)
	}
}

func TestLoadPackMissingClips(t *testing.T) {
	dir := copyDefaultPack(t)
	for _, f := range []string{"liang3.wav", "wei1xin4shou1kuan3.wav"} {
		if err := os.Remove(filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	_, err := LoadPack(os.DirFS(dir))
	if !errors.Is(err, ErrMissingClip) {
		t.Fatalf("error = %v, want ErrMissingClip", err)
	}
	// Both missing clips are named, with what to say, so a recorder can fix
	// the pack in one go.
	for _, want := range []string{"liang3.wav", "两", "wei1xin4shou1kuan3.wav", `"wei1 xin4 shou1 kuan3"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

func TestLoadPackFormatMismatch(t *testing.T) {
	dir := copyDefaultPack(t)
	// shi2.wav recorded at 22.05 kHz, as raw espeak-ng output would be.
	odd := EncodeWAV(Format{SampleRate: 22050, Channels: 1, Bits: 16}, make([]byte, 2000))
	if err := os.WriteFile(filepath.Join(dir, "shi2.wav"), odd, 0o644); err != nil {
		t.Fatal(err)
	}
	// bai3.wav in stereo.
	stereo := EncodeWAV(Format{SampleRate: 16000, Channels: 2, Bits: 16}, make([]byte, 2000))
	if err := os.WriteFile(filepath.Join(dir, "bai3.wav"), stereo, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadPack(os.DirFS(dir))
	if !errors.Is(err, ErrFormatMismatch) {
		t.Fatalf("error = %v, want ErrFormatMismatch", err)
	}
	for _, want := range []string{"shi2.wav is 22050 Hz", "bai3.wav is 16000 Hz 16-bit 2 ch"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if errors.Is(err, ErrMissingClip) {
		t.Errorf("error %v claims a missing clip", err)
	}
}

func TestLoadPackBadClip(t *testing.T) {
	dir := copyDefaultPack(t)
	if err := os.WriteFile(filepath.Join(dir, "yuan2.wav"), []byte("ID3 this is an mp3"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bi3.wav"), EncodeWAV(DefaultFormat, nil), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadPack(os.DirFS(dir))
	if !errors.Is(err, ErrBadWAV) {
		t.Fatalf("error = %v, want ErrBadWAV", err)
	}
	for _, want := range []string{"yuan2.wav", "bi3.wav has no samples"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestLoadPackManifest(t *testing.T) {
	good := Manifest{Name: "t", Format: DefaultFormat, GapMS: 30, PauseMS: 200, Licence: "CC0-1.0"}
	for _, tc := range []struct {
		name   string
		edit   func(m *Manifest)
		raw    string // used instead of the manifest when set
		remove bool
	}{
		{name: "missing", remove: true},
		{name: "not json", raw: "format = 16000"},
		{name: "no licence", edit: func(m *Manifest) { m.Licence = "" }},
		{name: "8 bit", edit: func(m *Manifest) { m.Format.Bits = 8 }},
		{name: "negative gap", edit: func(m *Manifest) { m.GapMS = -1 }},
		{name: "long pause", edit: func(m *Manifest) { m.PauseMS = 5000 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyDefaultPack(t)
			path := filepath.Join(dir, ManifestFile)
			m := good
			var b []byte
			switch {
			case tc.remove:
				if err := os.Remove(path); err != nil {
					t.Fatal(err)
				}
			case tc.raw != "":
				b = []byte(tc.raw)
			default:
				tc.edit(&m)
				b, _ = json.Marshal(m)
			}
			if b != nil {
				if err := os.WriteFile(path, b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := LoadPack(os.DirFS(dir)); !errors.Is(err, ErrBadManifest) {
				t.Fatalf("error = %v, want ErrBadManifest", err)
			}
		})
	}
	// The good manifest itself loads, so the failures above are the edits'.
	dir := copyDefaultPack(t)
	b, _ := json.Marshal(good)
	if err := os.WriteFile(filepath.Join(dir, ManifestFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadPack(os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
}
