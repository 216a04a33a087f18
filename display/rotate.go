package display

import (
	"fmt"
	"image"

	"periph.io/x/devices/v3/ssd1306/image1bit"
)

// Rotation turns composed frames to match how the panel is mounted:
// the frame is rotated clockwise by this much before it is sent.
type Rotation int

// Rotations.
const (
	Rot0 Rotation = iota
	Rot90
	Rot180
	Rot270
)

// Validate reports whether r is one of the four rotations.
func (r Rotation) Validate() error {
	if r < Rot0 || r > Rot270 {
		return fmt.Errorf("display: bad rotation %d", int(r))
	}
	return nil
}

// Apply returns the size a frame of size s has after rotation by r.
func (r Rotation) Apply(s image.Point) image.Point {
	if r == Rot90 || r == Rot270 {
		return image.Pt(s.Y, s.X)
	}
	return s
}

// Rotate returns src turned clockwise by r, with its bounds at the origin.
func Rotate(src *image1bit.VerticalLSB, r Rotation) *image1bit.VerticalLSB {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	dst := image1bit.NewVerticalLSB(image.Rectangle{Max: r.Apply(b.Size())})
	for y := range h {
		for x := range w {
			bit := src.BitAt(b.Min.X+x, b.Min.Y+y)
			switch r {
			case Rot90:
				dst.SetBit(h-1-y, x, bit)
			case Rot180:
				dst.SetBit(w-1-x, h-1-y, bit)
			case Rot270:
				dst.SetBit(y, w-1-x, bit)
			default:
				dst.SetBit(x, y, bit)
			}
		}
	}
	return dst
}
