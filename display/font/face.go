package font

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"

	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"
)

// Unifont's vertical metrics at scale 1: 16 rows, the baseline under row 13.
const (
	// Height is the line height of a scale-1 Face in pixels.
	Height  = 16
	ascent  = 14
	descent = 2
)

// Face draws the embedded Unifont subset at an integer scale. It is safe
// for concurrent use: it holds no mutable state.
type Face struct {
	s     *set
	scale int
}

var _ font.Face = (*Face)(nil)

// New returns a face whose glyphs are scale× Unifont's 16 px (scale 2 gives
// 32 px). It panics if scale < 1 or if the embedded glyph data is corrupt
// (a build defect that the package tests catch).
func New(scale int) *Face {
	if scale < 1 {
		panic(fmt.Sprintf("font: scale %d < 1", scale))
	}
	s, err := loadSet()
	if err != nil {
		panic(err)
	}
	return &Face{s: s, scale: scale}
}

// Scale returns the face's integer scale factor.
func (f *Face) Scale() int { return f.scale }

// Has reports whether the subset holds a glyph for r.
func (f *Face) Has(r rune) bool { return f.s.find(r) >= 0 }

// lookup returns the glyph index for r, or the U+FFFD glyph and false.
func (f *Face) lookup(r rune) (int, bool) {
	if i := f.s.find(r); i >= 0 {
		return i, true
	}
	return f.s.repl, false
}

// Close implements font.Face; it does nothing.
func (f *Face) Close() error { return nil }

// Glyph implements font.Face. Missing runes get the U+FFFD glyph and ok ==
// false; font.Drawer draws it either way, so gaps in the subset show up.
func (f *Face) Glyph(dot fixed.Point26_6, r rune) (dr image.Rectangle, mask image.Image, maskp image.Point, advance fixed.Int26_6, ok bool) {
	i, ok := f.lookup(r)
	bits, w := f.s.glyph(i)
	k := f.scale
	m := image.NewAlpha(image.Rect(0, 0, w*k, Height*k))
	bpr := w / 8
	for y := range Height {
		for x := range w {
			if bits[y*bpr+x/8]&(0x80>>(x%8)) == 0 {
				continue
			}
			for dy := range k {
				row := m.Pix[(y*k+dy)*m.Stride:]
				for dx := range k {
					row[x*k+dx] = 0xff
				}
			}
		}
	}
	x0, y0 := dot.X.Round(), dot.Y.Round()-ascent*k
	dr = image.Rect(x0, y0, x0+w*k, y0+Height*k)
	return dr, m, image.Point{}, fixed.I(w * k), ok
}

// GlyphBounds implements font.Face. Bounds are the full cell, not the ink.
func (f *Face) GlyphBounds(r rune) (bounds fixed.Rectangle26_6, advance fixed.Int26_6, ok bool) {
	i, ok := f.lookup(r)
	_, w := f.s.glyph(i)
	k := f.scale
	bounds = fixed.R(0, -ascent*k, w*k, descent*k)
	return bounds, fixed.I(w * k), ok
}

// GlyphAdvance implements font.Face.
func (f *Face) GlyphAdvance(r rune) (advance fixed.Int26_6, ok bool) {
	i, ok := f.lookup(r)
	_, w := f.s.glyph(i)
	return fixed.I(w * f.scale), ok
}

// Kern implements font.Face; a bitmap cell font has no kerning.
func (f *Face) Kern(r0, r1 rune) fixed.Int26_6 { return 0 }

// Metrics implements font.Face.
func (f *Face) Metrics() font.Metrics {
	k := f.scale
	return font.Metrics{
		Height:     fixed.I(Height * k),
		Ascent:     fixed.I(ascent * k),
		Descent:    fixed.I(descent * k),
		XHeight:    fixed.I(8 * k),
		CapHeight:  fixed.I(10 * k),
		CaretSlope: image.Point{X: 0, Y: 1},
	}
}

// Width returns the advance of s in whole pixels.
func (f *Face) Width(s string) int {
	w := 0
	for _, r := range s {
		a, _ := f.GlyphAdvance(r)
		w += a.Round()
	}
	return w
}

// Ellipsize returns s unchanged if it fits in maxWidth pixels, and otherwise
// the longest prefix of s followed by "…" that fits. It returns "" if not
// even the ellipsis fits.
func (f *Face) Ellipsize(s string, maxWidth int) string {
	if f.Width(s) <= maxWidth {
		return s
	}
	const ell = "…"
	room := maxWidth - f.Width(ell)
	if room < 0 {
		return ""
	}
	w := 0
	for i, r := range s {
		a, _ := f.GlyphAdvance(r)
		if w+a.Round() > room {
			return s[:i] + ell
		}
		w += a.Round()
	}
	return s + ell // unreachable: s did not fit
}

// DrawString draws s in colour c onto dst with the top-left corner of the
// text cell at (x, y), and returns the x just past the last glyph.
func (f *Face) DrawString(dst draw.Image, x, y int, c color.Color, s string) int {
	d := font.Drawer{
		Dst:  dst,
		Src:  image.NewUniform(c),
		Face: f,
		Dot:  fixed.P(x, y+ascent*f.scale),
	}
	d.DrawString(s)
	return d.Dot.X.Round()
}
