package display

import (
	"errors"
	"fmt"
	"image"
	"time"

	"github.com/qrstand/qrstand/display/font"
	"github.com/qrstand/qrstand/mqtt/biz"
	"periph.io/x/devices/v3/ssd1306/image1bit"
)

// Common panel sizes in landscape orientation (width × height).
var (
	Size250x122 = image.Pt(250, 122) // Waveshare 2.13" V2, Inky pHAT
	Size400x300 = image.Pt(400, 300) // Inky wHAT
	Size800x480 = image.Pt(800, 480) // 7.5" panels, Inky Impression 7.3"
)

// MinSize is the smallest frame Compose draws.
var MinSize = image.Pt(96, 64)

// China has kept UTC+8 without daylight saving since 1991, so a fixed zone
// is exact and needs no tzdata on the stand.

// Options say how to compose a frame.
type Options struct {
	// Size of the frame in pixels, as the viewer sees it (after rotation).
	// Required.
	Size image.Point
	// Lang of the UI text; default ZhCN.
	Lang Lang
	// Location for times shown; default Asia/Shanghai.
	Location *time.Location
}

// withDefaults returns o with its zero fields given their defaults: Lang
// ZhCN (the zero Lang) and Location biz.Zone.
func (o Options) withDefaults() Options {
	if o.Location == nil {
		o.Location = biz.Zone
	}
	return o
}

// Validate reports whether o can be composed.
func (o Options) Validate() error {
	if o.Size.X < MinSize.X || o.Size.Y < MinSize.Y {
		return fmt.Errorf("display: frame size %v smaller than %v", o.Size, MinSize)
	}
	if o.Size.X > 4096 || o.Size.Y > 4096 {
		return fmt.Errorf("display: frame size %v too large", o.Size)
	}
	return nil
}

// Compose draws s with status bar st as a 1-bit frame of o.Size
// (image1bit.On is white). The QR code, when the screen has one, takes the
// largest square the layout allows and never overlaps text.
func Compose(s Screen, st Status, o Options) (*image1bit.VerticalLSB, error) {
	o = o.withDefaults()
	if err := o.Validate(); err != nil {
		return nil, err
	}
	c := &canvas{
		img:  image1bit.NewVerticalLSB(image.Rectangle{Max: o.Size}),
		lang: o.Lang,
		loc:  o.Location,
		st:   st,
	}
	fillRect(c.img, c.img.Rect, image1bit.On)
	var err error
	switch s := s.(type) {
	case Store:
		err = c.store(s)
	case Pairing:
		err = c.pairing(s)
	case Flash:
		err = c.flash(s)
	case Offline:
		err = c.offline(s)
	case Error:
		err = c.error(s)
	case LowBattery:
		err = c.lowBattery(s)
	case nil:
		err = errors.New("display: nil screen")
	default:
		err = fmt.Errorf("display: unknown screen %T", s)
	}
	if err != nil {
		return nil, err
	}
	return c.img, nil
}

type canvas struct {
	img  *image1bit.VerticalLSB
	lang Lang
	loc  *time.Location
	st   Status
}

// split is the layout of a QR screen: the QR square and a text column
// beside it (landscape) or below it (portrait).
type split struct {
	qr    *QR
	place Placement
	col   image.Rectangle // text column, margins applied
	k     int             // text scale for the column
}

// minColumn is the narrowest text column we accept beside a QR code: enough
// for the status bar and six CJK characters at scale 1.
const minColumn = 120

// layoutQR encodes url, draws it and splits the canvas.
func (c *canvas) layoutQR(url string) (split, error) {
	q, err := EncodeQR(url)
	if err != nil {
		return split{}, err
	}
	sp, err := planQR(c.img.Rect.Size(), q)
	if err != nil {
		return split{}, err
	}
	q.Draw(c.img, sp.place)
	return sp, nil
}

// planQR splits a frame of size between q and the text. Landscape frames
// put the QR at the left, as tall as the frame unless that would leave the
// column narrower than minColumn; portrait frames put it on top, under the
// status bar. The QR box is trimmed to a whole number of modules so the
// column gets every spare pixel.
func planQR(size image.Point, q *QR) (split, error) {
	W, H := size.X, size.Y
	n := q.Size() + 2*QuietZone
	sp := split{qr: q}
	var box image.Rectangle
	if W*5 >= H*6 { // landscape
		side := min(H, W-minColumn)
		scale := side / n
		if scale < 1 {
			return split{}, fmt.Errorf("%w: %d modules + quiet zone in %d px", ErrQRTooLarge, q.Size(), side)
		}
		side = scale * n
		box = image.Rect(0, (H-side)/2, side, (H-side)/2+side)
		sp.col = image.Rect(side, 2, W-4, H-2)
	} else { // portrait
		side := min(W, H-3*font.Height)
		scale := side / n
		if scale < 1 {
			return split{}, fmt.Errorf("%w: %d modules + quiet zone in %d px", ErrQRTooLarge, q.Size(), side)
		}
		side = scale * n
		box = image.Rect((W-side)/2, font.Height+4, (W-side)/2+side, font.Height+4+side)
		sp.col = image.Rect(4, 2, W-4, H-2)
	}
	var err error
	if sp.place, err = q.Place(box); err != nil {
		return split{}, err
	}
	sp.k = max(1, min(3, sp.col.Dx()/150))
	return sp, nil
}

// column returns a cursor over the text area of sp. In portrait frames the
// status bar sits above the QR and the text below it.
func (c *canvas) column(sp split) *cursor {
	cur := &cursor{c: c, box: sp.col, y: sp.col.Min.Y, k: sp.k}
	cur.statusBar()
	if sp.col.Min.X < sp.place.Rect.Min.X { // portrait: continue below the QR
		cur.y = sp.place.Rect.Max.Y + QuietZone*sp.place.Scale
	}
	return cur
}

// cursor lays text out top to bottom in a box.
type cursor struct {
	c   *canvas
	box image.Rectangle
	y   int
	k   int
}

func (cu *cursor) face(scale int) *font.Face { return font.New(scale) }

func (cu *cursor) gap(px int) { cu.y += px * cu.k }

// room returns how many lines of height h still fit in the box.
func (cu *cursor) room(h int) int { return max(0, (cu.box.Max.Y-cu.y)/h) }

// line draws s at scale k·mul, left-aligned, ellipsized; it draws nothing
// if the line would not fit entirely.
func (cu *cursor) line(s string, mul int) {
	f := cu.face(cu.k * mul)
	if cu.room(font.Height*cu.k*mul) < 1 {
		return
	}
	text(cu.c.img, cu.box, f, cu.box.Min.X, cu.y, f.Ellipsize(s, cu.box.Dx()), black)
	cu.y += font.Height * cu.k * mul
}

// lines draws s wrapped to at most n lines, fewer if the box ends first.
func (cu *cursor) lines(s string, mul, n int) {
	f := cu.face(cu.k * mul)
	n = min(n, cu.room(font.Height*cu.k*mul))
	for _, l := range wrap(f, s, cu.box.Dx(), n) {
		text(cu.c.img, cu.box, f, cu.box.Min.X, cu.y, l, black)
		cu.y += font.Height * cu.k * mul
	}
}

// banner draws s in white on a black bar the width of the box.
func (cu *cursor) banner(s string) {
	f := cu.face(cu.k)
	h := (font.Height + 4) * cu.k
	r := image.Rect(cu.box.Min.X, cu.y, cu.box.Max.X, cu.y+h)
	fillRect(cu.c.img, r, image1bit.Off)
	s = f.Ellipsize(s, r.Dx()-4*cu.k)
	text(cu.c.img, r, f, r.Min.X+(r.Dx()-f.Width(s))/2, cu.y+2*cu.k, s, white)
	cu.y += h
}

// bottom draws s on the last line of the box.
func (cu *cursor) bottom(s string, mul int) {
	f := cu.face(cu.k * mul)
	y := cu.box.Max.Y - font.Height*cu.k*mul
	if y < cu.y {
		return // no room left: drop it rather than overlap
	}
	text(cu.c.img, cu.box, f, cu.box.Min.X, y, f.Ellipsize(s, cu.box.Dx()), black)
}

// biggest draws s at the largest scale (up to max) that fits the width.
func (cu *cursor) biggest(s string, maxScale int) {
	k := maxScale
	for k > 1 && font.New(k).Width(s) > cu.box.Dx() {
		k--
	}
	f := font.New(k)
	if cu.room(font.Height*k) < 1 {
		return
	}
	text(cu.c.img, cu.box, f, cu.box.Min.X, cu.y, f.Ellipsize(s, cu.box.Dx()), black)
	cu.y += font.Height * k
}

// fitting returns the first of ss that fits the box width at scale k.
func (cu *cursor) fitting(ss ...string) string {
	f := cu.face(cu.k)
	for _, s := range ss {
		if f.Width(s) <= cu.box.Dx() {
			return s
		}
	}
	return ss[len(ss)-1]
}

func (c *canvas) store(s Store) error {
	sp, err := c.layoutQR(s.URL)
	if err != nil {
		return err
	}
	cu := c.column(sp)
	cu.gap(4)
	cu.lines(clean(s.Name), 1, 2)
	cu.bottom(c.lang.t(msgHint), 1)
	return nil
}

func (c *canvas) pairing(p Pairing) error {
	sp, err := c.layoutQR(p.URL)
	if err != nil {
		return err
	}
	cu := c.column(sp)
	cu.gap(4)
	cu.line(c.lang.t(msgPairTitle), 1)
	cu.gap(2)
	cu.biggest(clean(p.Code), 2*cu.k)
	cu.gap(2)
	cu.lines(c.lang.t(msgPairHow), 1, 3)
	return nil
}

func (c *canvas) flash(f Flash) error {
	sp, err := c.layoutQR(f.Store.URL)
	if err != nil {
		return err
	}
	cu := c.column(sp)
	cu.gap(4)
	label := c.lang.t(msgReceived)
	switch f.Channel {
	case WeChat:
		label = c.lang.t(msgWeChat)
	case Alipay:
		label = c.lang.t(msgAlipay)
	}
	cu.line(label, 1)
	cu.gap(4)
	cu.biggest(biz.Yuan(f.Fen), 3*cu.k)
	if !f.At.IsZero() {
		t := f.At.In(c.loc)
		cu.bottom(cu.fitting(t.Format("2006-01-02 15:04:05"), t.Format("01-02 15:04:05"), t.Format("15:04:05")), 1)
	}
	return nil
}

func (c *canvas) offline(o Offline) error {
	if o.Store == nil {
		return c.message(c.lang.t(msgOffline), c.lang.t(msgReconnecting), "")
	}
	sp, err := c.layoutQR(o.Store.URL)
	if err != nil {
		return err
	}
	cu := c.column(sp)
	cu.gap(2)
	cu.line(clean(o.Store.Name), 1)
	cu.gap(2)
	cu.banner(c.lang.t(msgOffline))
	cu.gap(2)
	cu.line(c.lang.t(msgStillPay), 1)
	cu.line(c.lang.t(msgNoVoice), 1)
	return nil
}

func (c *canvas) error(e Error) error {
	msg := clean(e.Message)
	code := clean(e.Code)
	if e.Store == nil {
		return c.message(c.lang.t(msgError), msg, code)
	}
	sp, err := c.layoutQR(e.Store.URL)
	if err != nil {
		return err
	}
	cu := c.column(sp)
	cu.gap(2)
	cu.banner(c.lang.t(msgError))
	cu.gap(2)
	cu.lines(msg, 1, 2)
	if code != "" {
		cu.bottom(code, 1)
	}
	return nil
}

func (c *canvas) lowBattery(l LowBattery) error {
	sp, err := c.layoutQR(l.Store.URL)
	if err != nil {
		return err
	}
	cu := c.column(sp)
	cu.gap(2)
	cu.line(clean(l.Store.Name), 1)
	cu.gap(2)
	cu.banner(fmt.Sprintf("%s %d%%", c.lang.t(msgLowBattery), clampPct(c.st.Battery.Percent)))
	cu.gap(2)
	cu.line(c.lang.t(msgCharge), 1)
	cu.bottom(c.lang.t(msgHint), 1)
	return nil
}

// message is a text-only screen: status bar, a large title and up to
// three lines of detail, centred.
func (c *canvas) message(title, detail, code string) error {
	W, H := c.img.Rect.Dx(), c.img.Rect.Dy()
	k := max(1, min(3, W/250))
	box := image.Rect(4, 2, W-4, H-2)
	cu := &cursor{c: c, box: box, y: box.Min.Y, k: k}
	cu.statusBar()
	big := font.New(2 * k)
	small := font.New(k)
	lines := wrap(small, detail, box.Dx(), 3)
	if code != "" {
		lines = append(lines, code)
	}
	total := big.Metrics().Height.Round() + 4*k + len(lines)*font.Height*k
	y := max(cu.y+2*k, box.Min.Y+(box.Dy()-total)/2)
	centred(c.img, box, big, y, title, black)
	y += big.Metrics().Height.Round() + 4*k
	for _, l := range lines {
		centred(c.img, box, small, y, l, black)
		y += font.Height * k
	}
	return nil
}
