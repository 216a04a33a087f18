package font

import (
	"bytes"
	"compress/gzip"
	"flag"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/image/math/fixed"
	"golang.org/x/text/encoding/simplifiedchinese"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

func TestEmbeddedDataDecodes(t *testing.T) {
	s, err := loadSet()
	if err != nil {
		t.Fatal(err)
	}
	if len(s.runes) < 7445 {
		t.Errorf("only %d glyphs, want at least GB2312's 7445", len(s.runes))
	}
}

// TestGB2312Covered walks every EUC-CN code independently of the generator
// and checks the face has each character.
func TestGB2312Covered(t *testing.T) {
	f := New(1)
	dec := simplifiedchinese.GBK.NewDecoder()
	n := 0
	for hi := 0xA1; hi <= 0xF7; hi++ {
		for lo := 0xA1; lo <= 0xFE; lo++ {
			// GB2312 leaves these cells empty; GBK filled them later.
			switch {
			case hi == 0xA2 && (lo < 0xB1 || lo == 0xE3 || lo == 0xE4),
				hi == 0xA6 && lo >= 0xE0,
				hi == 0xA8 && lo >= 0xBB && lo <= 0xC0:
				continue
			}
			b, err := dec.Bytes([]byte{byte(hi), byte(lo)})
			if err != nil {
				continue
			}
			r := []rune(string(b))[0]
			if r == 0xFFFD || r >= 0xE000 && r <= 0xF8FF {
				continue
			}
			n++
			if !f.Has(r) {
				t.Errorf("GB2312 %02X%02X %U %q missing", hi, lo, r, r)
			}
		}
	}
	if n != 7445 {
		t.Errorf("walked %d GB2312 characters, want 7445", n)
	}
}

func TestHasUIRunes(t *testing.T) {
	f := New(1)
	for _, r := range "微信扫码付款支付宝收款￥¥…，。：；！？（）「」·—～ABCxyz0123456789%:./-+#@█▁▂▃▄▅▆▇⚡↑↓←→✓✗" {
		if !f.Has(r) {
			t.Errorf("missing %U %q", r, r)
		}
	}
}

func TestAdvances(t *testing.T) {
	tests := []struct {
		r     rune
		scale int
		want  int
		ok    bool
	}{
		{'A', 1, 8, true},
		{'A', 2, 16, true},
		{'中', 1, 16, true},
		{'中', 3, 48, true},
		{'￥', 1, 16, true},
		{'¥', 1, 8, true},
		{'…', 1, 8, true},
		{0x1F600, 1, 8, false}, // emoji: replacement glyph (Unifont's U+FFFD is 8 wide)
		{0x07, 1, 8, false},    // control: replacement glyph
	}
	for _, tt := range tests {
		t.Run(string(tt.r), func(t *testing.T) {
			f := New(tt.scale)
			adv, ok := f.GlyphAdvance(tt.r)
			if adv != fixed.I(tt.want) || ok != tt.ok {
				t.Errorf("GlyphAdvance(%U) = %v, %v; want %d, %v", tt.r, adv.Round(), ok, tt.want, tt.ok)
			}
			b, adv2, ok2 := f.GlyphBounds(tt.r)
			if adv2 != adv || ok2 != ok {
				t.Errorf("GlyphBounds advance %v %v disagrees with GlyphAdvance", adv2, ok2)
			}
			if got, want := b.Max.Y-b.Min.Y, fixed.I(16*tt.scale); got != want {
				t.Errorf("bounds height %v, want %v", got, want)
			}
		})
	}
}

func TestMissingRuneIsVisible(t *testing.T) {
	f := New(1)
	dr, mask, mp, _, ok := f.Glyph(fixed.P(10, 20), 0x1F600)
	if ok {
		t.Fatal("ok for a rune outside the subset")
	}
	if dr != image.Rect(10, 6, 18, 22) {
		t.Errorf("dr = %v", dr)
	}
	ink := 0
	for y := range dr.Dy() {
		for x := range dr.Dx() {
			if _, _, _, a := mask.At(mp.X+x, mp.Y+y).RGBA(); a != 0 {
				ink++
			}
		}
	}
	if ink < 20 {
		t.Errorf("replacement glyph has %d ink pixels; want a visible mark", ink)
	}
	_, want, _, _, _ := f.Glyph(fixed.P(10, 20), 0xFFFD)
	if !bytes.Equal(mask.(*image.Alpha).Pix, want.(*image.Alpha).Pix) {
		t.Error("missing rune not drawn as U+FFFD")
	}
}

func TestScaledGlyphIsBlockCopy(t *testing.T) {
	_, m1, _, _, _ := New(1).Glyph(fixed.P(0, 0), '码')
	_, m3, _, _, _ := New(3).Glyph(fixed.P(0, 0), '码')
	a1, a3 := m1.(*image.Alpha), m3.(*image.Alpha)
	if a3.Bounds().Dx() != 48 || a3.Bounds().Dy() != 48 {
		t.Fatalf("scaled bounds %v", a3.Bounds())
	}
	for y := range 48 {
		for x := range 48 {
			if a3.AlphaAt(x, y) != a1.AlphaAt(x/3, y/3) {
				t.Fatalf("pixel (%d,%d) differs from its source pixel", x, y)
			}
		}
	}
}

func TestEllipsize(t *testing.T) {
	f := New(1)
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"老王面馆", 64, "老王面馆"},
		{"老王面馆", 63, "老王面…"}, // … is half-width in Unifont
		{"老王面馆", 55, "老王…"},
		{"abcdef", 48, "abcdef"},
		{"abcdef", 47, "abcd…"},
		{"abc", 7, ""},
		{"abc", 8, "…"},
		{"", 0, ""},
	}
	for _, tt := range tests {
		got := f.Ellipsize(tt.in, tt.max)
		if got != tt.want {
			t.Errorf("Ellipsize(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
		if w := f.Width(got); w > tt.max {
			t.Errorf("Ellipsize(%q, %d) is %d px wide", tt.in, tt.max, w)
		}
	}
}

func TestMetrics(t *testing.T) {
	m := New(2).Metrics()
	if m.Height != fixed.I(32) || m.Ascent+m.Descent != fixed.I(32) {
		t.Errorf("metrics %+v", m)
	}
}

func TestDecodeRejectsCorruptData(t *testing.T) {
	gz := func(b []byte) []byte {
		var buf bytes.Buffer
		w := gzip.NewWriter(&buf)
		w.Write(b)
		w.Close()
		return buf.Bytes()
	}
	tests := map[string][]byte{
		"not gzip":  []byte("hello"),
		"bad magic": gz([]byte("XXXX\x01\x01\x00\x00\x00")),
		"truncated": gz([]byte("QRUF\x01\x05\x00\x00\x00\x41\x00")),
		"bad width": gz([]byte("QRUF\x01\x01\x00\x00\x00\xfd\xff\x00\x00\x07")),
		"no FFFD":   gz(append([]byte("QRUF\x01\x01\x00\x00\x00\x41\x00\x00\x00\x08"), make([]byte, 16)...)),
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := decode(data); err == nil {
				t.Error("decode accepted corrupt data")
			}
		})
	}
}

// TestGolden renders a sample line at scales 1 and 2; look at the PNG to
// judge the glyphs, the test keeps them from changing unnoticed.
func TestGolden(t *testing.T) {
	for _, scale := range []int{1, 2} {
		f := New(scale)
		const text = "微信扫码付款 ￥12.50 Ag…😀"
		img := image.NewGray(image.Rect(0, 0, f.Width(text)+8, 16*scale+8))
		draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
		f.DrawString(img, 4, 4, color.Black, text)
		name := filepath.Join("testdata", "sample_x"+string(rune('0'+scale))+".png")
		if *update {
			var buf bytes.Buffer
			if err := png.Encode(&buf, img); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		fh, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		want, err := png.Decode(fh)
		fh.Close()
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(img.Pix, toGray(want).Pix); diff != "" {
			t.Errorf("%s differs (-got +want):\n%s", name, diff)
		}
	}
}

func toGray(m image.Image) *image.Gray {
	g := image.NewGray(m.Bounds())
	draw.Draw(g, g.Bounds(), m, m.Bounds().Min, draw.Src)
	return g
}
