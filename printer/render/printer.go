package render

import (
	"image"
	"image/draw"

	"github.com/qrstand/qrstand/printer/escpos"
	"github.com/skip2/go-qrcode"
	"golang.org/x/image/math/fixed"
)

// Printer geometry at 203 dpi, font A.
const (
	halfCell       = 12 // dots per half-width character
	cellHeight     = 24
	defaultSpacing = 30 // ESC 2: 1/6 inch
	topMargin      = 16
)

// cell is one character waiting in the line buffer.
type cell struct {
	r      rune
	w      int // 1 or 2 half cells
	sw, sh int // magnification
	bold   bool
}

// printer is the state of a simulated printer.
type printer struct {
	opt   Options
	paper paper
	top   int
	y     int // top of the next line

	chinese       bool
	sizeW, sizeH  int // GS !
	cnW, cnH      int // FS ! / FS W
	bold          bool
	align         escpos.Alignment
	spacing       int
	qrModule      int
	qrLevel       qrcode.RecoveryLevel
	qrData        []byte
	line          []cell
	lineW         int
	lineAlign     escpos.Alignment
	ascent, glyph int
}

func newPrinter(opt Options) *printer {
	p := &printer{opt: opt, paper: paper{w: opt.Dots, max: opt.MaxLength}, top: topMargin, y: topMargin}
	m := opt.Face.Metrics()
	p.ascent = m.Ascent.Ceil()
	p.glyph = m.Height.Ceil()
	p.reset()
	return p
}

// reset is ESC @: the power-on state of a Chinese printer.
func (p *printer) reset() {
	p.chinese = true
	p.sizeW, p.sizeH, p.cnW, p.cnH = 1, 1, 1, 1
	p.bold = false
	p.align = escpos.Left
	p.spacing = defaultSpacing
	p.qrModule = 3
	p.qrLevel = qrcode.Low
}

func (p *printer) exec(c escpos.Command) {
	switch c.Kind {
	case escpos.Init:
		p.flush(false)
		p.reset()
	case escpos.ChineseOn:
		p.chinese = true
	case escpos.ChineseOff:
		p.chinese = false
	case escpos.Text:
		for _, r := range c.Text {
			p.add(r)
		}
	case escpos.Tab:
		p.add(' ')
	case escpos.LineFeed:
		p.flush(true)
	case escpos.CharSize:
		p.sizeW, p.sizeH = c.Arg>>4&7+1, c.Arg&7+1
	case escpos.ChineseSize:
		p.cnW, p.cnH = 1+c.Arg>>2&1, 1+c.Arg>>3&1
	case escpos.ChineseQuad:
		p.cnW, p.cnH = 1+c.Arg&1, 1+c.Arg&1
	case escpos.Bold:
		p.bold = c.Arg == 1
	case escpos.Align:
		p.align = escpos.Alignment(c.Arg)
	case escpos.LineSpacing:
		p.spacing = c.Arg
	case escpos.DefaultSpacing:
		p.spacing = defaultSpacing
	case escpos.Feed:
		p.flush(false)
		p.y += c.Arg * p.spacing
	case escpos.QRModuleSize:
		if c.Arg >= 1 && c.Arg <= 16 {
			p.qrModule = c.Arg
		}
	case escpos.QRErrorLevel:
		p.qrLevel = [...]qrcode.RecoveryLevel{qrcode.Low, qrcode.Medium, qrcode.High, qrcode.Highest}[c.Arg-48]
	case escpos.QRStore:
		p.qrData = append(p.qrData[:0], c.Data...)
	case escpos.QRPrint:
		p.flush(false)
		p.printQR()
	case escpos.Raster:
		p.flush(false)
		p.printRaster(c)
	case escpos.Cut, escpos.FeedAndCut:
		p.flush(false)
		if c.Kind == escpos.FeedAndCut {
			p.y += c.Arg
		}
		p.cutMark()
	}
}

// add puts a character into the line buffer, printing the buffer first
// when the character does not fit (the printer's automatic line feed).
func (p *printer) add(r rune) {
	c := cell{r: r, w: 1, sw: p.sizeW, sh: p.sizeH, bold: p.bold}
	if p.chinese && r >= 0x80 {
		c.w = 2
		c.sw, c.sh = max(p.sizeW, p.cnW), max(p.sizeH, p.cnH)
	}
	dots := c.w * halfCell * c.sw
	if p.lineW+dots > p.opt.Dots && len(p.line) > 0 {
		p.flush(true)
	}
	if len(p.line) == 0 {
		p.lineAlign = p.align
	}
	p.line = append(p.line, c)
	p.lineW += dots
}

// flush prints the line buffer. With feed, an empty buffer still feeds
// one line (LF on an empty line).
func (p *printer) flush(feed bool) {
	if len(p.line) == 0 {
		if feed {
			p.y += p.spacing
		}
		return
	}
	height := 0
	for _, c := range p.line {
		height = max(height, cellHeight*c.sh)
	}
	x := p.alignX(p.lineAlign, p.lineW)
	for _, c := range p.line {
		p.drawCell(c, x, p.y+height-cellHeight*c.sh)
		x += c.w * halfCell * c.sw
	}
	p.y += max(height, p.spacing)
	p.line = p.line[:0]
	p.lineW = 0
}

func (p *printer) alignX(a escpos.Alignment, w int) int {
	switch a {
	case escpos.Center:
		return max(0, (p.opt.Dots-w)/2)
	case escpos.Right:
		return max(0, p.opt.Dots-w)
	}
	return 0
}

// drawCell draws one character: the glyph centred in its unmagnified cell,
// emboldened by overstriking one dot to the right, then magnified.
func (p *printer) drawCell(c cell, x0, y0 int) {
	cw := c.w * halfCell
	mask := image.NewAlpha(image.Rect(0, 0, cw, cellHeight))
	if c.r != ' ' {
		adv, _ := p.opt.Face.GlyphAdvance(c.r)
		gx := (cw - adv.Ceil()) / 2
		gy := (cellHeight-p.glyph)/2 + p.ascent
		dr, m, mp, _, _ := p.opt.Face.Glyph(fixed.P(gx, gy), c.r)
		if m != nil {
			draw.DrawMask(mask, dr, image.Opaque, image.Point{}, m, mp, draw.Over)
		}
	}
	for y := range cellHeight {
		for x := range cw {
			on := mask.AlphaAt(x, y).A >= 0x80
			if !on && c.bold && x > 0 {
				on = mask.AlphaAt(x-1, y).A >= 0x80
			}
			if !on {
				continue
			}
			for dy := range c.sh {
				for dx := range c.sw {
					p.paper.dot(x0+x*c.sw+dx, y0+y*c.sh+dy)
				}
			}
		}
	}
}

// printQR draws the stored QR data as the printer's QR generator would:
// model 2, the selected error correction and module size, no quiet zone
// (the paper around it is one).
func (p *printer) printQR() {
	if len(p.qrData) == 0 {
		return
	}
	q, err := qrcode.New(string(p.qrData), p.qrLevel)
	if err != nil {
		// The printer prints nothing for data it cannot encode; a crossed
		// box shows it happened.
		p.box(p.qrModule * 21)
		return
	}
	q.DisableBorder = true
	bm := q.Bitmap()
	n := len(bm) * p.qrModule
	x0 := p.alignX(p.align, n)
	for y, row := range bm {
		for x, black := range row {
			if !black {
				continue
			}
			for dy := range p.qrModule {
				for dx := range p.qrModule {
					p.paper.dot(x0+x*p.qrModule+dx, p.y+y*p.qrModule+dy)
				}
			}
		}
	}
	p.y += n
}

func (p *printer) box(n int) {
	x0 := p.alignX(p.align, n)
	for i := range n {
		p.paper.dot(x0+i, p.y)
		p.paper.dot(x0+i, p.y+n-1)
		p.paper.dot(x0, p.y+i)
		p.paper.dot(x0+n-1, p.y+i)
		p.paper.dot(x0+i, p.y+i)
		p.paper.dot(x0+n-1-i, p.y+i)
	}
	p.y += n
}

// printRaster expands a GS v 0 image, magnified by its mode.
func (p *printer) printRaster(c escpos.Command) {
	sw, sh := 1+c.Arg&1, 1+c.Arg>>1&1
	rowBytes := c.Width / 8
	x0 := p.alignX(p.align, c.Width*sw)
	for y := range c.Height {
		for x := range c.Width {
			if c.Data[y*rowBytes+x/8]&(0x80>>(x%8)) == 0 {
				continue
			}
			for dy := range sh {
				for dx := range sw {
					p.paper.dot(x0+x*sw+dx, p.y+y*sh+dy)
				}
			}
		}
	}
	p.y += c.Height * sh
}

// cutMark draws a dashed line where the paper is cut.
func (p *printer) cutMark() {
	p.y += 4
	for x := 0; x < p.opt.Dots; x += 8 {
		for i := range 4 {
			p.paper.dot(x+i, p.y)
		}
	}
	p.y += 4
}
