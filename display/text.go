package display

import (
	"image"
	"image/color"
	"image/draw"
	"strings"
	"unicode"

	"github.com/qrstand/qrstand/display/font"
	"golang.org/x/image/math/fixed"
	"periph.io/x/devices/v3/ssd1306/image1bit"
)

// clip is a draw.Image view of dst restricted to r, so that text can never
// spill out of its box (onto the QR code in particular).
type clip struct {
	dst *image1bit.VerticalLSB
	r   image.Rectangle
}

func (c clip) ColorModel() color.Model { return image1bit.BitModel }
func (c clip) Bounds() image.Rectangle { return c.r }
func (c clip) At(x, y int) color.Color { return c.dst.BitAt(x, y) }
func (c clip) Set(x, y int, col color.Color) {
	if (image.Point{x, y}).In(c.r) {
		c.dst.Set(x, y, col)
	}
}

// ink is the colour text is drawn in.
type ink bool

const (
	black ink = false
	white ink = true
)

// text draws s with its cell's top-left at (x, y), clipped to box, and
// returns the x after it. It blits glyph masks bit by bit rather than going
// through draw.DrawMask's generic per-pixel colour path, which is several
// times slower on a 1-bit image.
func text(dst *image1bit.VerticalLSB, box image.Rectangle, f *font.Face, x, y int, s string, c ink) int {
	box = box.Intersect(dst.Rect)
	dot := fixed.P(x, y+f.Metrics().Ascent.Round())
	for _, r := range s {
		dr, mask, mp, adv, _ := f.Glyph(dot, r)
		dot.X += adv
		a, ok := mask.(*image.Alpha)
		if !ok {
			draw.DrawMask(clip{dst, box}, dr, image.NewUniform(image1bit.Bit(c)), image.Point{}, mask, mp, draw.Over)
			continue
		}
		vis := dr.Intersect(box)
		for py := vis.Min.Y; py < vis.Max.Y; py++ {
			row := a.Pix[(py-dr.Min.Y+mp.Y)*a.Stride:]
			for px := vis.Min.X; px < vis.Max.X; px++ {
				if row[px-dr.Min.X+mp.X] != 0 {
					dst.SetBit(px, py, image1bit.Bit(c))
				}
			}
		}
	}
	return dot.X.Round()
}

// centred draws s centred horizontally in box at y.
func centred(dst *image1bit.VerticalLSB, box image.Rectangle, f *font.Face, y int, s string, c ink) {
	s = f.Ellipsize(s, box.Dx())
	text(dst, box, f, box.Min.X+(box.Dx()-f.Width(s))/2, y, s, c)
}

// clean makes outside text drawable on one line: control characters and
// line breaks become spaces, runs of spaces collapse, ends are trimmed.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.IsControl(r) || unicode.IsSpace(r) || r == '\u2028' || r == '\u2029' {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// wrap breaks s into at most maxLines lines of at most width pixels,
// breaking between any two runes (CJK has no spaces; Latin words are broken
// at a space when one is near). The last line is ellipsized if s is longer.
func wrap(f *font.Face, s string, width, maxLines int) []string {
	var lines []string
	for s != "" && len(lines) < maxLines {
		if len(lines) == maxLines-1 || f.Width(s) <= width {
			lines = append(lines, f.Ellipsize(s, width))
			break
		}
		cut, w, lastSpace := 0, 0, -1
		for i, r := range s {
			a := f.Width(string(r))
			if w+a > width {
				break
			}
			if r == ' ' {
				lastSpace = i
			}
			w += a
			cut = i + len(string(r))
		}
		if cut == 0 { // not even one rune fits
			lines = append(lines, f.Ellipsize(s, width))
			break
		}
		if lastSpace > 0 && lastSpace > cut*2/3 {
			cut = lastSpace
		}
		lines = append(lines, strings.TrimRight(s[:cut], " "))
		s = strings.TrimLeft(s[cut:], " ")
	}
	return lines
}
