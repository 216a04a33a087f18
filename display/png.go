package display

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"

	"periph.io/x/devices/v3/ssd1306/image1bit"
)

var bw = color.Palette{color.Black, color.White}

// Paletted converts a 1-bit frame to a black-and-white paletted image,
// each pixel scale×scale, for PNG files and previews.
func Paletted(frame *image1bit.VerticalLSB, scale int) *image.Paletted {
	scale = max(1, scale)
	r := frame.Bounds()
	out := image.NewPaletted(image.Rect(0, 0, r.Dx()*scale, r.Dy()*scale), bw)
	for y := range out.Rect.Dy() {
		row := out.Pix[y*out.Stride:]
		for x := range out.Rect.Dx() {
			if frame.BitAt(r.Min.X+x/scale, r.Min.Y+y/scale) {
				row[x] = 1
			}
		}
	}
	return out
}

// WritePNG writes frame as a black-and-white PNG, scaled up scale times.
func WritePNG(w io.Writer, frame *image1bit.VerticalLSB, scale int) error {
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(w, Paletted(frame, scale)); err != nil {
		return fmt.Errorf("display: png: %w", err)
	}
	return nil
}
