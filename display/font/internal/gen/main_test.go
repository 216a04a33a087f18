package main

import (
	"bytes"
	"os"
	"testing"
)

// TestCommittedOutputIsCurrent regenerates the subset from Debian's
// unifont.hex and compares it with the committed unifont.bin.gz, so a
// changed generator cannot go unnoticed. It needs the Debian package
// "unifont".
func TestCommittedOutputIsCurrent(t *testing.T) {
	const src = "/usr/share/unifont/unifont.hex"
	if _, err := os.Stat(src); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s missing in CI (apt-get install unifont): %v", src, err)
		}
		t.Skipf("%s not installed (apt-get install unifont)", src)
	}
	glyphs, err := readHex(src)
	if err != nil {
		t.Fatal(err)
	}
	var sel []glyph
	for _, r := range subset() {
		if g, ok := glyphs[r]; ok {
			sel = append(sel, g)
		}
	}
	var buf bytes.Buffer
	if err := encode(&buf, sel); err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile("../../unifont.bin.gz")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), committed) {
		t.Error("unifont.bin.gz is stale: run go generate ./display/font")
	}
}

func TestGB2312Count(t *testing.T) {
	if n := len(gb2312()); n != 7445 {
		t.Errorf("gb2312() has %d characters, want 7445 (682 symbols + 6763 hanzi)", n)
	}
}

func TestReadHexRejectsGarbage(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"badcp":  "ZZZZ:00000000000000000000000000000000\n",
		"badhex": "0041:0000000000000000000000000000000G\n",
		"empty":  "",
	} {
		p := dir + "/" + name
		os.WriteFile(p, []byte(body), 0o644)
		if _, err := readHex(p); err == nil {
			t.Errorf("%s: readHex accepted it", name)
		}
	}
}
