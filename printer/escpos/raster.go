package escpos

import "image"

// RasterBandRows is the most rows sent in one GS v 0 command. Cheap
// printers have small receive buffers and some drop a long raster, so an
// image goes out as a series of bands.
const RasterBandRows = 64

// RasterMaxWidth is the widest raster accepted, in dots: an 80 mm head.
const RasterMaxWidth = 576

// Raster prints img as a 1-bit raster image (GS v 0, normal density),
// sending it in bands of RasterBandRows rows. A pixel prints black when
// its luminance is below half. Each row is (width+7)/8 bytes, most
// significant bit leftmost.
func (e *Encoder) Raster(img image.Image) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w < 1 || h < 1 || w > RasterMaxWidth {
		e.fail("raster of %dx%d dots (width must be 1–%d)", w, h, RasterMaxWidth)
		return
	}
	rowBytes := (w + 7) / 8
	band := make([]byte, 0, 8+rowBytes*RasterBandRows)
	for y0 := 0; y0 < h && e.err == nil; y0 += RasterBandRows {
		rows := min(RasterBandRows, h-y0)
		band = append(band[:0], gs, 'v', '0', 0,
			byte(rowBytes), byte(rowBytes>>8), byte(rows), byte(rows>>8))
		for y := y0; y < y0+rows; y++ {
			for xb := 0; xb < rowBytes; xb++ {
				var v byte
				for bit := 0; bit < 8; bit++ {
					x := xb*8 + bit
					if x < w && isBlack(img, b.Min.X+x, b.Min.Y+y) {
						v |= 0x80 >> bit
					}
				}
				band = append(band, v)
			}
		}
		e.write(band...)
	}
}

func isBlack(img image.Image, x, y int) bool {
	switch m := img.(type) {
	case *image.Gray:
		return m.GrayAt(x, y).Y < 0x80
	case *image.Paletted:
		r, g, b, _ := m.At(x, y).RGBA()
		return (299*r+587*g+114*b)/1000 < 0x8000
	}
	r, g, b, _ := img.At(x, y).RGBA()
	return (299*r+587*g+114*b)/1000 < 0x8000
}
