package render

import (
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"

	"github.com/qrstand/qrstand/display/font"
	"github.com/qrstand/qrstand/printer/escpos"
	xfont "golang.org/x/image/font"
)

// Options control rendering. The zero value renders 58 mm paper with the
// shared Unifont face.
type Options struct {
	// Dots is the paper width in dots (default 384; 576 for 80 mm).
	Dots int
	// Face draws glyphs (default display/font at scale 1). Glyphs taller
	// than 24 dots or wider than their cell are clipped.
	Face xfont.Face
	// MaxLength is the longest strip drawn, in dots (default 32768, about
	// 4 m of paper); a stream that feeds further is cut short with
	// ErrTooLong.
	MaxLength int
}

// Validate reports options that cannot be rendered.
func (o Options) Validate() error {
	if o.Dots != 0 && (o.Dots < 8 || o.Dots > 2048) {
		return fmt.Errorf("render: paper width %d dots out of range 8–2048", o.Dots)
	}
	if o.MaxLength < 0 {
		return fmt.Errorf("render: negative MaxLength %d", o.MaxLength)
	}
	return nil
}

// DefaultOptions holds the values Render uses for Options fields left
// zero (Face left nil is the 1× Unifont face).
var DefaultOptions = Options{Dots: 384, MaxLength: 32768}

// withDefaults returns o with its zero fields taken from DefaultOptions.
func (o Options) withDefaults() Options {
	d := DefaultOptions
	if o.Dots == 0 {
		o.Dots = d.Dots
	}
	if o.MaxLength == 0 {
		o.MaxLength = d.MaxLength
	}
	if o.Face == nil {
		o.Face = font.New(1)
	}
	return o
}

// ErrEmpty is returned when a stream prints nothing at all.
var ErrEmpty = errors.New("render: nothing printed")

// ErrTooLong is returned with the picture of the first MaxLength dots of
// a stream that feeds more paper than that.
var ErrTooLong = errors.New("render: paper longer than MaxLength")

// Render draws cmds on paper Options.Dots wide and returns the printed
// strip, white paper and black dots.
func Render(cmds []escpos.Command, opt Options) (*image.Gray, error) {
	opt = opt.withDefaults()
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	p := newPrinter(opt)
	for _, c := range cmds {
		p.exec(c)
	}
	p.flush(false)
	if p.y == p.top {
		return nil, ErrEmpty
	}
	img := p.paper.image(p.y + 8)
	if p.y+8 > opt.MaxLength {
		return img, ErrTooLong
	}
	return img, nil
}

// RenderBytes decodes an ESC/POS stream and renders it.
func RenderBytes(b []byte, opt Options) (*image.Gray, error) {
	return Render(escpos.Decode(b), opt)
}

// WritePNG decodes and renders an ESC/POS stream and writes it to w as
// PNG. It also returns the commands the decoder could not name, so that a
// caller can warn about them.
func WritePNG(w io.Writer, b []byte, opt Options) ([]escpos.Command, error) {
	cmds := escpos.Decode(b)
	img, err := Render(cmds, opt)
	if err != nil {
		return nil, err
	}
	if err := png.Encode(w, img); err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	return escpos.Unknowns(cmds), nil
}
