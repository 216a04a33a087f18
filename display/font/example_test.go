package font_test

import (
	"fmt"
	"image"
	"image/color"

	"github.com/qrstand/qrstand/display/font"
)

func Example() {
	face := font.New(1) // 16 px; font.New(2) for 32 px
	img := image.NewGray(image.Rect(0, 0, 200, 16))
	end := face.DrawString(img, 0, 0, color.White, "微信扫码付款 ￥8.00")
	fmt.Println(end, face.Width("微信"), face.Width("8.00"))
	fmt.Println(face.Ellipsize("张记老北京炸酱面馆（朝阳店）", 100))
	// Output:
	// 152 32 32
	// 张记老北京…
}
