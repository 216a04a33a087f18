package printer_test

import (
	"fmt"
	"log"
	"time"

	"github.com/qrstand/qrstand/printer"
	"github.com/qrstand/qrstand/printer/escpos"
	"github.com/qrstand/qrstand/printer/render"
)

// Encode a payment receipt for a 58 mm printer, read back what it prints
// and draw it as a picture.
func Example() {
	receipt := printer.Payment{
		Store:     "便利店",
		Channel:   printer.WeChat,
		AmountFen: 1250,
		PaidAt:    time.Date(2026, 11, 25, 13, 3, 4, 0, time.UTC), // shown as 21:03:04 in Shanghai
		OrderNo:   "QS20261125210304000017",
		Clerk:     "张三",
		OrderURL:  "https://qrstand.example/o/QS20261125210304000017",
	}
	data, err := printer.Encode(receipt, printer.Profile58())
	if err != nil {
		log.Fatal(err)
	}
	for _, line := range escpos.Lines(escpos.Decode(data))[:7] {
		fmt.Println(line)
	}
	img, err := render.RenderBytes(data, render.Options{Dots: printer.Profile58().Dots})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("picture width:", img.Bounds().Dx())
	// Output:
	// 便利店
	// 微信支付 收款凭证
	// --------------------------------
	// ￥12.50
	// --------------------------------
	// 时间         2026-11-25 21:03:04
	// 订单号    QS20261125210304000017
	// picture width: 384
}
