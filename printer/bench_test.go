package printer

import (
	"testing"

	"github.com/qrstand/qrstand/printer/render"
)

// BenchmarkPaymentReceipt encodes the standard payment receipt (the
// "payment" fixture: store, channel, amount, time, order number,
// transaction tail, payer, clerk and a QR code to the order page) on each
// paper width, with the printer's own QR generator and as a raster. It
// reports the bytes and what they cost on a serial line (8N1: baud/10
// bytes per second).
func BenchmarkPaymentReceipt(b *testing.B) {
	doc := fixtures()[0].doc
	for _, p := range []Profile{Profile58(), Profile80()} {
		for _, native := range []bool{true, false} {
			p := p
			p.NativeQR = native
			name := p.Name + "/native-qr"
			if !native {
				name = p.Name + "/raster-qr"
			}
			b.Run(name, func(b *testing.B) {
				var n int
				for b.Loop() {
					data, err := Encode(doc, p)
					if err != nil {
						b.Fatal(err)
					}
					n = len(data)
				}
				b.ReportMetric(float64(n), "bytes/receipt")
				b.ReportMetric(float64(n)*10/9600*1000, "ms@9600baud")
				b.ReportMetric(float64(n)*10/19200*1000, "ms@19200baud")
			})
		}
	}
}

// BenchmarkRenderReceipt draws the standard receipt as the simulator does.
func BenchmarkRenderReceipt(b *testing.B) {
	data, err := Encode(fixtures()[0].doc, Profile58())
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := render.RenderBytes(data, render.Options{Dots: 384}); err != nil {
			b.Fatal(err)
		}
	}
}
