package escpos

import (
	"errors"
	"fmt"
	"io"
)

// Command prefixes.
const (
	lf  = 0x0a
	esc = 0x1b
	fs  = 0x1c
	gs  = 0x1d
	dle = 0x10
	eot = 0x04
)

// ErrInvalid is wrapped by every error caused by an argument the printer
// cannot accept (a size out of range, QR data too long, an empty image).
var ErrInvalid = errors.New("escpos: invalid argument")

// Encoder writes ESC/POS commands to an io.Writer. The first error (from
// the writer or from an invalid argument) is sticky: later calls write
// nothing, and Err reports it. Callers check Err once at the end.
type Encoder struct {
	w   io.Writer
	err error
	n   int64
	buf []byte
}

// NewEncoder returns an Encoder that writes to w.
func NewEncoder(w io.Writer) *Encoder { return &Encoder{w: w} }

// Err returns the first error met, or nil.
func (e *Encoder) Err() error { return e.err }

// Written returns the number of bytes written so far.
func (e *Encoder) Written() int64 { return e.n }

func (e *Encoder) write(p ...byte) {
	if e.err != nil {
		return
	}
	n, err := e.w.Write(p)
	e.n += int64(n)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	if err != nil {
		e.err = fmt.Errorf("escpos: write: %w", err)
	}
}

func (e *Encoder) fail(format string, args ...any) {
	if e.err == nil {
		e.err = fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
	}
}

// Init resets the printer to its power-on settings (ESC @).
func (e *Encoder) Init() { e.write(esc, '@') }

// ChineseMode selects (FS &) or cancels (FS .) Chinese character mode, in
// which bytes 0x81–0xFE start a two-byte GB18030 character. Text assumes it
// is on.
func (e *Encoder) ChineseMode(on bool) {
	if on {
		e.write(fs, '&')
	} else {
		e.write(fs, '.')
	}
}

// Text writes s as GB18030 for Chinese mode. Characters the printer cannot
// show are replaced as Printable does; '\n' becomes a line feed.
func (e *Encoder) Text(s string) {
	if e.err != nil {
		return
	}
	b := e.buf[:0]
	for _, r := range s {
		if r == '\n' {
			b = append(b, lf)
			continue
		}
		g := toGlyph(r)
		b = append(b, g.bytes[:g.n]...)
	}
	e.buf = b
	if len(b) > 0 {
		e.write(b...)
	}
}

// Line writes s followed by a line feed, which prints the line.
func (e *Encoder) Line(s string) {
	e.Text(s)
	e.LF()
}

// LF prints the line buffer and feeds one line (LF).
func (e *Encoder) LF() { e.write(lf) }

// Size selects character size as multiples of the normal width and height,
// 1–8 each (GS ! n). It also sets the Chinese character mode (FS ! n) to
// double width/height when the multiple is 2 or more, for printers whose
// GS ! does not scale Chinese characters. Some models accept only 1 and 2.
func (e *Encoder) Size(width, height int) {
	if width < 1 || width > 8 || height < 1 || height > 8 {
		e.fail("size %dx%d out of range 1–8", width, height)
		return
	}
	e.write(gs, '!', byte((width-1)<<4|(height-1)))
	var n byte
	if width > 1 {
		n |= 1 << 2
	}
	if height > 1 {
		n |= 1 << 3
	}
	e.write(fs, '!', n)
}

// Bold turns emphasis on or off (ESC E n).
func (e *Encoder) Bold(on bool) {
	var n byte
	if on {
		n = 1
	}
	e.write(esc, 'E', n)
}

// Alignment is the justification of a printed line.
type Alignment byte

// Alignments for ESC a n.
const (
	Left   Alignment = 0
	Center Alignment = 1
	Right  Alignment = 2
)

// Align sets the justification (ESC a n). Printers take it into account
// only at the start of a line.
func (e *Encoder) Align(a Alignment) {
	if a > Right {
		e.fail("alignment %d", a)
		return
	}
	e.write(esc, 'a', byte(a))
}

// LineSpacing sets the line feed amount in dots (ESC 3 n), 0–255.
func (e *Encoder) LineSpacing(dots int) {
	if dots < 0 || dots > 255 {
		e.fail("line spacing %d out of range 0–255", dots)
		return
	}
	e.write(esc, '3', byte(dots))
}

// DefaultLineSpacing restores the default line spacing (ESC 2), about
// 3.75 mm.
func (e *Encoder) DefaultLineSpacing() { e.write(esc, '2') }

// Feed prints the line buffer and feeds n lines (ESC d n), 0–255.
func (e *Encoder) Feed(n int) {
	if n < 0 || n > 255 {
		e.fail("feed %d out of range 0–255", n)
		return
	}
	e.write(esc, 'd', byte(n))
}

// CutMode selects how Cut cuts the paper.
type CutMode byte

// Cut modes for GS V.
const (
	FullCut    CutMode = 0
	PartialCut CutMode = 1
)

// Cut cuts the paper where it is (GS V m). Models without a cutter ignore
// it, so layouts feed enough paper before it to tear by hand.
func (e *Encoder) Cut(m CutMode) {
	if m > PartialCut {
		e.fail("cut mode %d", m)
		return
	}
	e.write(gs, 'V', byte(m))
}

// FeedCut feeds the paper to the cutter plus n motion units, then cuts
// (GS V 65 n; Epson calls 65 a full cut, many Chinese models cut partially).
func (e *Encoder) FeedCut(n int) {
	if n < 0 || n > 255 {
		e.fail("feed-and-cut %d out of range 0–255", n)
		return
	}
	e.write(gs, 'V', 65, byte(n))
}
