package display

import (
	"image"
	"strconv"

	"github.com/qrstand/qrstand/display/font"
	"periph.io/x/devices/v3/ssd1306/image1bit"
)

// statusBar draws the status row at the top of the cursor's box, left to
// right: battery (icon + percent), charging bolt, network bars, paper
// warning. The row is always reserved, so screens keep their layout (and
// status changes stay small partial refreshes) whatever is shown.
func (cu *cursor) statusBar() {
	k := cu.k
	f := font.New(k)
	img := cu.c.img
	x, y := cu.box.Min.X, cu.y
	st := cu.c.st
	px := func(r image.Rectangle, b image1bit.Bit) { // r in units of k
		fillRect(img, image.Rect(x+r.Min.X*k, y+r.Min.Y*k, x+r.Max.X*k, y+r.Max.Y*k), b)
	}
	if st.Battery.Present {
		pct := clampPct(st.Battery.Percent)
		px(image.Rect(0, 4, 14, 13), image1bit.Off) // body
		px(image.Rect(1, 5, 13, 12), image1bit.On)
		px(image.Rect(14, 6, 16, 11), image1bit.Off) // nub
		px(image.Rect(2, 6, 2+(pct*10+50)/100, 11), image1bit.Off)
		x += 18 * k
		x = text(img, cu.box, f, x, y, strconv.Itoa(pct)+"%", black)
		if st.Battery.Charging {
			x = text(img, cu.box, f, x, y, "⚡", black)
		}
		x += 4 * k
	}
	switch st.Network {
	case NetOnline, NetConnecting, NetOffline:
		for i, h := range []int{4, 7, 10} {
			bar := image.Rect(i*4, 13-h, i*4+3, 13)
			if st.Network == NetOnline || st.Network == NetConnecting && i == 0 {
				px(bar, image1bit.Off)
			} else {
				px(bar, image1bit.Off)
				px(bar.Inset(1), image1bit.On)
			}
		}
		if st.Network == NetOffline {
			for i := range 7 { // a small ×
				px(image.Rect(5+i, 2+i, 6+i, 3+i), image1bit.Off)
				px(image.Rect(11-i, 2+i, 12-i, 3+i), image1bit.Off)
			}
		}
		x += 16 * k
	}
	switch st.Paper {
	case PaperLow:
		text(img, cu.box, f, x, y, cu.c.lang.t(msgPaperLow), black)
	case PaperOut:
		text(img, cu.box, f, x, y, cu.c.lang.t(msgPaperOut), black)
	}
	cu.y += (font.Height + 2) * k
	fillRect(img, image.Rect(cu.box.Min.X, cu.y-k, cu.box.Max.X, cu.y), image1bit.Off)
	cu.y += k
}

func clampPct(p int) int { return max(0, min(100, p)) }
