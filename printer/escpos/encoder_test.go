package escpos

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEncoderBytes(t *testing.T) {
	tests := []struct {
		name string
		do   func(e *Encoder)
		want []byte
	}{
		{"init", (*Encoder).Init, []byte{0x1b, 0x40}},
		{"chinese on", func(e *Encoder) { e.ChineseMode(true) }, []byte{0x1c, 0x26}},
		{"chinese off", func(e *Encoder) { e.ChineseMode(false) }, []byte{0x1c, 0x2e}},
		{"微信收款", func(e *Encoder) { e.Text("微信收款") }, []byte{0xce, 0xa2, 0xd0, 0xc5, 0xca, 0xd5, 0xbf, 0xee}},
		{"full-width yuan", func(e *Encoder) { e.Text("￥") }, []byte{0xa3, 0xa4}},
		{"half-width yen becomes full-width", func(e *Encoder) { e.Text("¥1") }, []byte{0xa3, 0xa4, '1'}},
		{"emoji replaced", func(e *Encoder) { e.Text("a😀") }, []byte{'a', 0xa1, 0xf5}},
		{"control replaced", func(e *Encoder) { e.Text("\x1b@") }, []byte{0xa1, 0xf5, '@'}},
		{"line", func(e *Encoder) { e.Line("A") }, []byte{'A', 0x0a}},
		{"size 2x2", func(e *Encoder) { e.Size(2, 2) }, []byte{0x1d, 0x21, 0x11, 0x1c, 0x21, 0x0c}},
		{"size 1x1", func(e *Encoder) { e.Size(1, 1) }, []byte{0x1d, 0x21, 0x00, 0x1c, 0x21, 0x00}},
		{"bold", func(e *Encoder) { e.Bold(true) }, []byte{0x1b, 0x45, 1}},
		{"center", func(e *Encoder) { e.Align(Center) }, []byte{0x1b, 0x61, 1}},
		{"spacing", func(e *Encoder) { e.LineSpacing(40) }, []byte{0x1b, 0x33, 40}},
		{"default spacing", (*Encoder).DefaultLineSpacing, []byte{0x1b, 0x32}},
		{"feed", func(e *Encoder) { e.Feed(3) }, []byte{0x1b, 0x64, 3}},
		{"partial cut", func(e *Encoder) { e.Cut(PartialCut) }, []byte{0x1d, 0x56, 1}},
		{"feed cut", func(e *Encoder) { e.FeedCut(10) }, []byte{0x1d, 0x56, 0x41, 10}},
		{"qr", func(e *Encoder) { e.QR("AB", 6, QRLevelM) }, []byte{
			0x1d, 0x28, 0x6b, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00,
			0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x43, 6,
			0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x45, 49,
			0x1d, 0x28, 0x6b, 5, 0x00, 0x31, 0x50, 0x30, 'A', 'B',
			0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x51, 0x30,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			e := NewEncoder(&buf)
			tt.do(e)
			if err := e.Err(); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(buf.Bytes(), tt.want); diff != "" {
				t.Errorf("bytes (-got +want):\n%s", diff)
			}
			if e.Written() != int64(len(tt.want)) {
				t.Errorf("Written() = %d, want %d", e.Written(), len(tt.want))
			}
		})
	}
}

func TestEncoderInvalid(t *testing.T) {
	tests := []struct {
		name string
		do   func(e *Encoder)
	}{
		{"size 0", func(e *Encoder) { e.Size(0, 1) }},
		{"size 9", func(e *Encoder) { e.Size(1, 9) }},
		{"align", func(e *Encoder) { e.Align(3) }},
		{"spacing", func(e *Encoder) { e.LineSpacing(256) }},
		{"feed", func(e *Encoder) { e.Feed(-1) }},
		{"qr empty", func(e *Encoder) { e.QR("", 4, QRLevelM) }},
		{"qr module", func(e *Encoder) { e.QR("x", 17, QRLevelM) }},
		{"qr level", func(e *Encoder) { e.QR("x", 4, 52) }},
		{"qr too long", func(e *Encoder) { e.QR(string(make([]byte, QRMaxData+1)), 4, QRLevelL) }},
		{"raster too wide", func(e *Encoder) { e.Raster(image.NewGray(image.Rect(0, 0, 577, 1))) }},
		{"raster empty", func(e *Encoder) { e.Raster(image.NewGray(image.Rect(0, 0, 0, 0))) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			e := NewEncoder(&buf)
			tt.do(e)
			e.Line("after") // sticky: nothing more is written
			if !errors.Is(e.Err(), ErrInvalid) {
				t.Fatalf("Err() = %v, want ErrInvalid", e.Err())
			}
			if buf.Len() != 0 {
				t.Errorf("wrote % X after an invalid argument", buf.Bytes())
			}
		})
	}
}

type failWriter struct{ after int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.after <= 0 {
		return 0, errors.New("cable pulled")
	}
	w.after--
	return len(p), nil
}

func TestEncoderStickyWriteError(t *testing.T) {
	w := &failWriter{after: 1}
	e := NewEncoder(w)
	e.Init()
	e.Line("第一行")
	e.Line("第二行")
	if e.Err() == nil || e.Err().Error() != "escpos: write: cable pulled" {
		t.Fatalf("Err() = %v", e.Err())
	}
	if e.Written() != 2 {
		t.Errorf("Written() = %d, want 2", e.Written())
	}
}

func TestRasterBands(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 10, RasterBandRows+3))
	for y := range img.Bounds().Dy() {
		for x := range 10 {
			img.SetGray(x, y, color.Gray{Y: 0xff})
		}
	}
	img.SetGray(0, 0, color.Gray{})
	img.SetGray(9, RasterBandRows+2, color.Gray{})
	var buf bytes.Buffer
	e := NewEncoder(&buf)
	e.Raster(img)
	if e.Err() != nil {
		t.Fatal(e.Err())
	}
	cmds := Decode(buf.Bytes())
	if len(cmds) != 2 {
		t.Fatalf("got %d commands, want 2 bands: %v", len(cmds), cmds)
	}
	type band struct{ W, H int }
	var got []band
	for _, c := range cmds {
		got = append(got, band{c.Width, c.Height})
	}
	if diff := cmp.Diff(got, []band{{16, RasterBandRows}, {16, 3}}); diff != "" {
		t.Errorf("bands (-got +want):\n%s", diff)
	}
	if cmds[0].Data[0] != 0x80 {
		t.Errorf("first byte %02X, want 80 (MSB leftmost)", cmds[0].Data[0])
	}
	if last := cmds[1].Data[len(cmds[1].Data)-2:]; last[0] != 0 || last[1] != 0x40 {
		t.Errorf("last row % X, want 00 40", last)
	}
}

func TestPrintableAndWidth(t *testing.T) {
	tests := []struct {
		in, printable string
		width         int
	}{
		{"abc", "abc", 3},
		{"微信支付", "微信支付", 8},
		{"¥12.50", "￥12.50", 7},
		{"😀", "□", 2},
		{"\xff", "□", 2},
		{"a\tb", "a b", 3},
		{"a\nb", "a\nb", 2},
		{"€", "€", 2},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := Printable(tt.in); got != tt.printable {
				t.Errorf("Printable(%q) = %q, want %q", tt.in, got, tt.printable)
			}
			if got := Width(tt.in); got != tt.width {
				t.Errorf("Width(%q) = %d, want %d", tt.in, got, tt.width)
			}
		})
	}
}
