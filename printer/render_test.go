package printer

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
	"github.com/qrstand/qrstand/printer/render"
)

// qrPayload is the QR content a document asks for, if any.
func qrPayload(doc Document) string {
	switch d := doc.(type) {
	case Payment:
		return d.OrderURL
	case TestPage:
		return d.QRURL
	}
	return ""
}

// TestRenderedReceipts renders every layout on every profile (golden
// pictures in testdata/<layout>_<profile>.png, rewritten with -update) and
// decodes the QR code from the picture: it must be the payload the
// document carried, whether the printer drew it natively or got a raster.
func TestRenderedReceipts(t *testing.T) {
	for _, f := range fixtures() {
		for _, p := range profiles() {
			name := f.name + "_" + p.Name
			t.Run(name, func(t *testing.T) {
				b, err := Encode(f.doc, p)
				if err != nil {
					t.Fatal(err)
				}
				img, err := render.RenderBytes(b, render.Options{Dots: p.Dots})
				if err != nil {
					t.Fatal(err)
				}
				if img.Bounds().Dx() != p.Dots {
					t.Errorf("picture is %d dots wide, paper %d", img.Bounds().Dx(), p.Dots)
				}
				golden := filepath.Join("testdata", name+".png")
				if *update {
					var buf bytes.Buffer
					if err := png.Encode(&buf, img); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				compareGolden(t, img, golden)

				want := qrPayload(f.doc)
				got, err := decodeQR(img)
				switch {
				case want == "" && err == nil:
					t.Errorf("found a QR code %q on a receipt without one", got)
				case want != "" && err != nil:
					t.Errorf("QR code not readable: %v", err)
				case got != want:
					t.Errorf("QR code reads %q, want %q", got, want)
				}
			})
		}
	}
}

func decodeQR(img image.Image) (string, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", err
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}

func compareGolden(t *testing.T, img *image.Gray, golden string) {
	t.Helper()
	f, err := os.Open(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	defer f.Close()
	want, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if want.Bounds() != img.Bounds() {
		t.Fatalf("picture is %v, golden %v (go test -update rewrites it)", img.Bounds(), want.Bounds())
	}
	diff := 0
	for y := range img.Bounds().Dy() {
		for x := range img.Bounds().Dx() {
			r, _, _, _ := want.At(x, y).RGBA()
			if (r >= 0x8000) != (img.GrayAt(x, y).Y >= 0x80) {
				diff++
			}
		}
	}
	if diff > 0 {
		t.Errorf("%d dots differ from %s (go test -update rewrites it)", diff, golden)
	}
}
