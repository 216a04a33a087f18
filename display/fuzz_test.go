package display

import (
	"image"
	"strings"
	"testing"

	"periph.io/x/devices/v3/ssd1306/image1bit"
)

// FuzzStoreName: any store name (any Unicode, any length, invalid UTF-8)
// composes without panic on every panel size, leaves the QR pixels exactly
// as they are with an empty name, and the QR still decodes.
func FuzzStoreName(f *testing.F) {
	for _, s := range []string{
		"", "老王牛肉面馆", "Lao Wang", strings.Repeat("很长的店名", 40),
		"\x00\x01\n\t\r", "\xff\xfe invalid", "👩‍👩‍👧‍👦🍜🍜🍜", "\u202eRTL override",
		"ع ال عربية", "Ｆｕｌｌ　ｗｉｄｔｈ", strings.Repeat("W", 500), "a\u0301\u0301\u0301",
	} {
		f.Add(s)
	}
	sizes := []image.Point{Size250x122, Size400x300, Size800x480, {122, 250}}
	blank := map[image.Point][]byte{}
	for _, size := range sizes {
		img, err := Compose(Store{URL: storeURL}, Status{}, Options{Size: size})
		if err != nil {
			f.Fatal(err)
		}
		blank[size] = qrPixels(img, size)
	}
	f.Fuzz(func(t *testing.T, name string) {
		for _, size := range sizes {
			for _, s := range []Screen{
				Store{Name: name, URL: storeURL},
				LowBattery{Store: Store{Name: name, URL: storeURL}},
				Offline{Store: &Store{Name: name, URL: storeURL}},
				Error{Message: name, Code: name, Store: &Store{Name: name, URL: storeURL}},
			} {
				img, err := Compose(s, Status{}, Options{Size: size})
				if err != nil {
					t.Fatalf("%T %v: %v", s, size, err)
				}
				if got := qrPixels(img, size); string(got) != string(blank[size]) {
					t.Fatalf("%T %v: name %q changed QR pixels", s, size, name)
				}
			}
		}
		// The QR pixels are identical to the blank-name frame's above; decode
		// one size per input (decoding is the slow part) to prove the point.
		size := sizes[len(name)%len(sizes)]
		img, _ := Compose(Store{Name: name, URL: storeURL}, Status{}, Options{Size: size})
		if got, err := decodeQR(img); err != nil || got != storeURL {
			t.Fatalf("%v: QR decodes to %q, %v", size, got, err)
		}
	})
}

// qrPixels returns the bits of a QR frame's code area, quiet zone included.
func qrPixels(img *image1bit.VerticalLSB, size image.Point) []byte {
	q, err := EncodeQR(storeURL)
	if err != nil {
		panic(err)
	}
	sp, err := planQR(size, q)
	if err != nil {
		panic(err)
	}
	r := sp.place.Rect.Inset(-QuietZone * sp.place.Scale)
	var out []byte
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if img.BitAt(x, y) {
				out = append(out, 1)
			} else {
				out = append(out, 0)
			}
		}
	}
	return out
}
