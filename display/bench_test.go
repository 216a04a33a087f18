package display

import (
	"fmt"
	"testing"
)

// BenchmarkCompose measures composing each screen at each panel size.
func BenchmarkCompose(b *testing.B) {
	for _, size := range goldenSizes {
		for _, sc := range []struct {
			name string
			s    Screen
		}{
			{"store", shop},
			{"flash", Flash{Store: shop, Fen: 1250, At: paidAt}},
			{"error_noqr", Error{Message: "配置损坏，请联系客服", Code: "E-CFG-02"}},
		} {
			b.Run(fmt.Sprintf("%s/%dx%d", sc.name, size.X, size.Y), func(b *testing.B) {
				o := Options{Size: size}
				for b.Loop() {
					if _, err := Compose(sc.s, busy, o); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkDecodeQR(b *testing.B) {
	img, _ := Compose(shop, busy, Options{Size: Size800x480})
	for b.Loop() {
		decodeQR(img)
	}
}
