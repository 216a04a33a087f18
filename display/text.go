package display

import (
	"image"
	"image/color"
	"strings"
	"unicode"

	"github.com/qrstand/qrstand/display/font"
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

// text draws s with its cell's top-left at (x, y), clipped to box.
func text(dst *image1bit.VerticalLSB, box image.Rectangle, f *font.Face, x, y int, s string, c ink) int {
	return f.DrawString(clip{dst, box.Intersect(dst.Rect)}, x, y, image1bit.Bit(c), s)
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
