package main

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r.png")
	if err := run([]string{"-paper", "80", "../../testdata/payment_80mm.bin", out}); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if w := img.Bounds().Dx(); w != 576 {
		t.Errorf("picture %d dots wide, want 576", w)
	}
}

func TestRunStrict(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.bin")
	if err := os.WriteFile(in, []byte("abc\x1bxyz\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := run([]string{"-strict", in, filepath.Join(dir, "o.png")})
	if err == nil || !strings.Contains(err.Error(), "1 unknown") {
		t.Errorf("run -strict = %v, want 1 unknown byte sequence", err)
	}
	if err := run([]string{"-paper", "57", in, "x.png"}); err == nil {
		t.Error("-paper 57 accepted")
	}
	if err := run([]string{in}); err == nil {
		t.Error("one argument accepted")
	}
}
