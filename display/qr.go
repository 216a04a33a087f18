package display

import (
	"errors"
	"fmt"
	"image"

	qrcode "github.com/skip2/go-qrcode"
	"periph.io/x/devices/v3/ssd1306/image1bit"
)

// QuietZone is the light margin, in modules, kept around every QR code. ISO/IEC
// 18004 asks for 4; we never draw less (see README "QR sizing").
const QuietZone = 4

// ErrQRTooLarge is returned when a QR code cannot be drawn with at least one
// pixel per module (plus its quiet zone) in the space the layout has for it.
var ErrQRTooLarge = errors.New("display: QR code does not fit")

// QR is an encoded QR matrix without its quiet zone.
type QR struct {
	Version int
	Level   qrcode.RecoveryLevel
	modules [][]bool // [y][x], true = dark
}

// Size returns the number of modules per side, quiet zone excluded.
func (q *QR) Size() int { return len(q.modules) }

// EncodeQR encodes content in the smallest QR version that holds it at
// error-correction level M, then raises the level to Q or H while that does
// not need a bigger version: extra robustness (scratches, glare, dust on the
// stand) for free, never at the cost of larger modules.
//
// M is the floor because a stand's code lives behind glass or plastic and gets
// scuffed; L (7 %) leaves too little margin, and starting at H would push
// typical 30–40 character URLs from version 3 to version 4 or 5, shrinking
// the modules on a 122-pixel-high panel.
func EncodeQR(content string) (*QR, error) {
	if content == "" {
		return nil, errors.New("display: empty QR content")
	}
	best, err := qrcode.New(content, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("display: encode QR: %w", err)
	}
	// skip2's High is ISO level Q (25 %), Highest is H (30 %).
	for _, lvl := range []qrcode.RecoveryLevel{qrcode.Highest, qrcode.High} {
		q, err := qrcode.New(content, lvl)
		if err == nil && q.VersionNumber == best.VersionNumber {
			best = q
			break
		}
	}
	best.DisableBorder = true
	return &QR{Version: best.VersionNumber, Level: best.Level, modules: best.Bitmap()}, nil
}

// Placement is where a QR code lands inside a square box.
type Placement struct {
	Scale int             // pixels per module
	Rect  image.Rectangle // the code's modules, quiet zone excluded
}

// Place fits q into box with an integer number of pixels per module and a
// full quiet zone on every side, as large as the box allows, centred.
func (q *QR) Place(box image.Rectangle) (Placement, error) {
	side := min(box.Dx(), box.Dy())
	n := q.Size() + 2*QuietZone
	scale := side / n
	if scale < 1 {
		return Placement{}, fmt.Errorf("%w: %d modules + quiet zone in %d px", ErrQRTooLarge, q.Size(), side)
	}
	px := q.Size() * scale
	x0 := box.Min.X + (box.Dx()-px)/2
	y0 := box.Min.Y + (box.Dy()-px)/2
	return Placement{Scale: scale, Rect: image.Rect(x0, y0, x0+px, y0+px)}, nil
}

// Draw paints the quiet zone white and the modules at p.
func (q *QR) Draw(dst *image1bit.VerticalLSB, p Placement) {
	qz := QuietZone * p.Scale
	fillRect(dst, p.Rect.Inset(-qz), image1bit.On)
	for y, row := range q.modules {
		for x, dark := range row {
			if dark {
				r := image.Rect(x*p.Scale, y*p.Scale, (x+1)*p.Scale, (y+1)*p.Scale).Add(p.Rect.Min)
				fillRect(dst, r, image1bit.Off)
			}
		}
	}
}

// fillRect sets every pixel of r ∩ dst.Bounds() to b, a byte (8 rows of
// one column) at a time.
func fillRect(dst *image1bit.VerticalLSB, r image.Rectangle, b image1bit.Bit) {
	r = r.Intersect(dst.Rect)
	if r.Empty() {
		return
	}
	for y := r.Min.Y; y < r.Max.Y; {
		i, bit := dst.PixOffset(r.Min.X, y)
		band := y | 7 // last row of this 8-row band
		last := min(band, r.Max.Y-1)
		var mask byte
		for ; bit != 0 && y <= last; y++ {
			mask |= bit
			bit <<= 1
		}
		row := dst.Pix[i : i+r.Dx()]
		for x := range row {
			if b {
				row[x] |= mask
			} else {
				row[x] &^= mask
			}
		}
	}
}
