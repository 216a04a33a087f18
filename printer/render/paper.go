package render

import "image"

// paper is a strip of thermal paper that grows as the printer feeds it.
// A set byte is a burnt dot.
type paper struct {
	w, max int
	pix    []byte // w bytes per row, 1 = black
}

func (p *paper) grow(rows int) {
	if n := rows * p.w; n > len(p.pix) {
		p.pix = append(p.pix, make([]byte, n-len(p.pix))...)
	}
}

func (p *paper) dot(x, y int) {
	if x < 0 || x >= p.w || y < 0 || y >= p.max {
		return
	}
	p.grow(y + 1)
	p.pix[y*p.w+x] = 1
}

// image returns the first rows rows as a grayscale picture.
func (p *paper) image(rows int) *image.Gray {
	rows = min(rows, p.max)
	p.grow(rows)
	img := image.NewGray(image.Rect(0, 0, p.w, rows))
	for i := range img.Pix {
		if p.pix[i] == 0 {
			img.Pix[i] = 0xff
		}
	}
	return img
}
