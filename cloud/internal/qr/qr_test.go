package qr

import (
	"bytes"
	"image"
	"image/png"
	"testing"

	"github.com/makiuchi-d/gozxing"
	gzqr "github.com/makiuchi-d/gozxing/qrcode"
)

func TestPNGDecodesBack(t *testing.T) {
	for _, u := range []string{"https://pay.example.com/s/abcdefghijklmnopqrstuvwxyz234567", "http://127.0.0.1:8080/activate/admin/01JXYZ/tok"} {
		b, err := PNG(u, 256)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		bmp, err := gozxing.NewBinaryBitmapFromImage(img)
		if err != nil {
			t.Fatal(err)
		}
		res, err := gzqr.NewQRCodeReader().Decode(bmp, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.GetText() != u {
			t.Errorf("decoded %q, want %q", res.GetText(), u)
		}
		var _ image.Image = img
	}
	if _, err := PNG("x", 10); err == nil {
		t.Error("tiny size accepted")
	}
}
