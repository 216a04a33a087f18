package printer

import (
	"fmt"
	"image"
	"image/color"
	"strings"
	"time"

	"github.com/qrstand/qrstand/mqtt/biz"
	"github.com/qrstand/qrstand/printer/escpos"
	"github.com/skip2/go-qrcode"
)

// builder lays a document out on one profile. It emits style commands only
// when the style changes, and records every text line it prints so that
// tests can check the decoder reads back exactly that.
type builder struct {
	e     *escpos.Encoder
	p     Profile
	lines []string
	err   error // a layout failure that is not the encoder's

	align escpos.Alignment
	bold  bool
	size  int // 1 or 2 (both directions)
}

func newBuilder(e *escpos.Encoder, p Profile) *builder {
	return &builder{e: e, p: p, size: 1}
}

func (b *builder) start() {
	b.e.Init()
	b.e.ChineseMode(true)
}

func (b *builder) style(a escpos.Alignment, bold bool, size int) {
	if a != b.align {
		b.e.Align(a)
		b.align = a
	}
	if bold != b.bold {
		b.e.Bold(bold)
		b.bold = bold
	}
	if size != b.size {
		b.e.Size(size, size)
		b.size = size
	}
}

func (b *builder) cols() int { return b.p.Columns / b.size }

// line prints one line exactly as given; callers make it fit.
func (b *builder) line(s string) {
	b.e.Line(s)
	b.lines = append(b.lines, escpos.Printable(s))
}

// text wraps s to the line width and prints it with the given style; the
// printer does the alignment (ESC a).
func (b *builder) text(a escpos.Alignment, bold bool, size int, s string) {
	b.style(a, bold, size)
	for _, l := range Wrap(s, b.cols()) {
		b.line(l)
	}
}

func (b *builder) plain(s string)  { b.text(escpos.Left, false, 1, s) }
func (b *builder) center(s string) { b.text(escpos.Center, false, 1, s) }

// pair prints a label and a value at the two ends of the line.
func (b *builder) pair(label, value string) {
	b.style(escpos.Left, false, 1)
	for _, l := range Pair(label, value, b.cols()) {
		b.line(l)
	}
}

func (b *builder) rule() {
	b.style(escpos.Left, false, 1)
	b.line(strings.Repeat("-", b.cols()))
}

func (b *builder) blank() {
	b.style(escpos.Left, false, 1)
	b.line("")
}

// header prints the store name, the title and, for reprints, the 补打 label.
func (b *builder) header(store, title string, reprint bool) {
	size := 2
	if escpos.Width(store) > b.p.Columns/2 {
		size = 1 // a long name reads better on one line than broken in two
	}
	b.text(escpos.Center, true, size, store)
	b.text(escpos.Center, false, 1, title)
	if reprint {
		b.text(escpos.Center, true, 1, "【补打】")
	}
	b.rule()
}

// amount prints a large, bold, centred amount.
func (b *builder) amount(prefix string, fen int64) {
	b.text(escpos.Center, true, 2, prefix+biz.Yuan(fen))
}

// qr prints data as a centred QR code: natively when the profile can, as a
// raster otherwise. A blank line above and below keeps the quiet zone.
func (b *builder) qr(data string) {
	b.blank()
	if b.p.NativeQR {
		b.style(escpos.Center, false, 1)
		b.e.QR(data, b.p.QRModule, escpos.QRLevelM)
	} else {
		img, err := qrRaster(data, b.p)
		if err != nil {
			if b.err == nil {
				b.err = fmt.Errorf("raster QR: %w", err)
			}
			return
		}
		// Left-aligned and padded so that it is centred even on printers
		// that ignore ESC a for rasters.
		b.style(escpos.Left, false, 1)
		b.e.Raster(img)
	}
	b.blank()
}

// qrRaster draws data as a QR code (level M, no quiet zone: the paper
// margin is one) scaled to the profile's module size, with white on the
// left so that it sits in the middle of the paper.
func qrRaster(data string, p Profile) (*image.Gray, error) {
	q, err := qrcode.New(data, qrcode.Medium)
	if err != nil {
		return nil, err
	}
	q.DisableBorder = true
	bm := q.Bitmap()
	n := len(bm) * p.QRModule
	left := max(0, (p.Dots-n)/2)
	img := image.NewGray(image.Rect(0, 0, left+n, n))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for y, row := range bm {
		for x, black := range row {
			if !black {
				continue
			}
			for dy := range p.QRModule {
				for dx := range p.QRModule {
					img.SetGray(left+x*p.QRModule+dx, y*p.QRModule+dy, color.Gray{})
				}
			}
		}
	}
	return img, nil
}

// finish feeds the paper past the tear bar or to the cutter and cuts.
func (b *builder) finish() {
	b.style(escpos.Left, false, 1)
	if b.p.Cutter {
		b.e.FeedCut(0)
		return
	}
	b.e.Feed(4)
}

func clock(t time.Time) string { return t.In(biz.Zone).Format("2006-01-02 15:04:05") }
