package render

import (
	"bytes"
	"errors"
	"image"
	"testing"

	"github.com/qrstand/qrstand/printer/escpos"
)

func encode(t testing.TB, f func(e *escpos.Encoder)) []byte {
	t.Helper()
	var buf bytes.Buffer
	e := escpos.NewEncoder(&buf)
	e.Init()
	f(e)
	if err := e.Err(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// inkBox returns the bounding box of black dots.
func inkBox(img *image.Gray) image.Rectangle {
	var r image.Rectangle
	for y := range img.Bounds().Dy() {
		for x := range img.Bounds().Dx() {
			if img.GrayAt(x, y).Y < 0x80 {
				r = r.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return r
}

func TestAlignment(t *testing.T) {
	tests := []struct {
		name  string
		align escpos.Alignment
		check func(r image.Rectangle) bool
	}{
		{"left", escpos.Left, func(r image.Rectangle) bool { return r.Min.X < 24 }},
		{"center", escpos.Center, func(r image.Rectangle) bool { return r.Min.X > 150 && r.Max.X < 234 }},
		{"right", escpos.Right, func(r image.Rectangle) bool { return r.Max.X > 360 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := encode(t, func(e *escpos.Encoder) { e.Align(tt.align); e.Line("收款") })
			img, err := RenderBytes(b, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if r := inkBox(img); !tt.check(r) {
				t.Errorf("ink at %v", r)
			}
		})
	}
}

func TestSizeAndWrap(t *testing.T) {
	normal, err := RenderBytes(encode(t, func(e *escpos.Encoder) { e.Line("中") }), Options{})
	if err != nil {
		t.Fatal(err)
	}
	big, err := RenderBytes(encode(t, func(e *escpos.Encoder) { e.Size(2, 2); e.Line("中") }), Options{})
	if err != nil {
		t.Fatal(err)
	}
	n, b := inkBox(normal), inkBox(big)
	if b.Dx() < 2*n.Dx()-1 || b.Dy() < 2*n.Dy()-1 {
		t.Errorf("2x2 glyph ink %v, normal %v", b.Size(), n.Size())
	}
	// 33 ASCII characters do not fit 32 columns: the printer wraps.
	one, _ := RenderBytes(encode(t, func(e *escpos.Encoder) { e.Line("12345678901234567890123456789012") }), Options{})
	two, _ := RenderBytes(encode(t, func(e *escpos.Encoder) { e.Line("123456789012345678901234567890123") }), Options{})
	if two.Bounds().Dy()-one.Bounds().Dy() != defaultSpacing {
		t.Errorf("33 characters took %d dots, 32 took %d: want one more line", two.Bounds().Dy(), one.Bounds().Dy())
	}
}

func TestRasterExpanded(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 16, 100))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	img.Pix[0] = 0              // top-left dot
	img.Pix[len(img.Pix)-1] = 0 // bottom-right dot
	b := encode(t, func(e *escpos.Encoder) { e.Raster(img) })
	out, err := RenderBytes(b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := inkBox(out)
	if r.Min.X != 0 || r.Max.X != 16 || r.Dy() != 100 {
		t.Errorf("raster ink %v, want 16 wide and 100 high from x=0", r)
	}
}

func TestRenderErrors(t *testing.T) {
	if _, err := RenderBytes(nil, Options{}); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty stream: %v", err)
	}
	if _, err := RenderBytes([]byte("x\n"), Options{Dots: 4}); err == nil {
		t.Error("4-dot paper accepted")
	}
	long := encode(t, func(e *escpos.Encoder) { e.LineSpacing(255); e.Feed(255); e.Line("x") })
	img, err := RenderBytes(long, Options{MaxLength: 1000})
	if !errors.Is(err, ErrTooLong) || img == nil || img.Bounds().Dy() != 1000 {
		t.Errorf("long stream: %v", err)
	}
}

// FuzzRender: any byte stream renders without panicking and within the
// length limit.
func FuzzRender(f *testing.F) {
	f.Add(encode(f, func(e *escpos.Encoder) {
		e.Size(8, 8)
		e.Bold(true)
		e.Line("微信 ￥1")
		e.QR("x", 16, escpos.QRLevelH)
	}))
	f.Add([]byte{0x1d, 'v', '0', 3, 1, 0, 2, 0, 0xff, 0x81})
	f.Add([]byte{0x1d, '(', 'k', 4, 0, '1', 'P', '0', 'a', 0x1d, '(', 'k', 3, 0, '1', 'Q', '0'})
	f.Add([]byte{0x1c, '.', 0xe9, 0x1c, '&', 0xb0, 0xa1, '\t', '\r'})
	f.Fuzz(func(t *testing.T, b []byte) {
		img, err := RenderBytes(b, Options{MaxLength: 4096})
		if err == nil && img.Bounds().Dy() > 4096 {
			t.Fatalf("picture %d dots long", img.Bounds().Dy())
		}
	})
}
