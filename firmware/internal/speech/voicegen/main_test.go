package main

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qrstand/qrstand/firmware/internal/speech"
)

// TestGenerateMatchesCommitted regenerates the default pack into a temporary
// folder. The result must load as a pack; and when the installed espeak-ng is
// the version recorded in the committed manifest, every file must be
// byte-identical to the committed one (the pack in git is what the script
// makes). The generator is a developer tool, so without espeak-ng or sox this
// test skips, in CI too.
func TestGenerateMatchesCommitted(t *testing.T) {
	if testing.Short() {
		t.Skip("runs espeak-ng 24 times")
	}
	for _, tool := range []string{"espeak-ng", "sox"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (apt-get install espeak-ng sox)", tool)
		}
	}
	out := t.TempDir()
	o := defaultOptions()
	o.out = out
	if err := run(o, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	gen, err := speech.LoadPack(os.DirFS(out))
	if err != nil {
		t.Fatal(err)
	}
	committed := filepath.Join("..", "packs", "default")
	want, err := speech.LoadPack(os.DirFS(committed))
	if err != nil {
		t.Fatal(err)
	}
	if gen.Manifest.Credit != want.Manifest.Credit {
		t.Skipf("installed espeak-ng differs from the one that made the committed pack:\n got %s\nwant %s", gen.Manifest.Credit, want.Manifest.Credit)
	}
	files := []string{speech.ManifestFile}
	for _, c := range speech.Clips() {
		files = append(files, c.File)
	}
	for _, f := range files {
		a, _ := os.ReadFile(filepath.Join(out, f))
		b, _ := os.ReadFile(filepath.Join(committed, f))
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs from the committed file: regenerate the pack (see README.md)", f)
		}
	}
	if !strings.Contains(want.Manifest.Credit, "cmn-latn-pinyin") {
		t.Errorf("committed pack credit %q does not name the cmn-latn-pinyin voice", want.Manifest.Credit)
	}
}
