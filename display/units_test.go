package display

import (
	"errors"
	"image"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/qrstand/qrstand/display/font"
	qrcode "github.com/skip2/go-qrcode"
	"periph.io/x/devices/v3/ssd1306/image1bit"
)

func TestEncodeQRPicksSmallestVersionAndFreeECC(t *testing.T) {
	tests := []struct{ in string }{
		{"https://qr.st/"},
		{storeURL},
		{"https://pay.qrstand.cn/s/7kQ"},
		{"https://pay.qrstand.cn/pair/ST-00042?c=8F3K2Q"},
		{strings.Repeat("https://pay.qrstand.cn/", 10)},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			q, err := EncodeQR(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			m, _ := qrcode.New(tt.in, qrcode.Medium)
			if q.Version != m.VersionNumber {
				t.Errorf("version %d, level M needs %d", q.Version, m.VersionNumber)
			}
			if q.Level < qrcode.Medium {
				t.Errorf("level %v below M", q.Level)
			}
			if q.Level < qrcode.Highest {
				up, err := qrcode.New(tt.in, q.Level+1)
				if err == nil && up.VersionNumber == q.Version {
					t.Errorf("level %v left free robustness: %v fits version %d too", q.Level, q.Level+1, q.Version)
				}
			}
			if got, want := q.Size(), 17+4*q.Version; got != want {
				t.Errorf("size %d, want %d", got, want)
			}
		})
	}
	if _, err := EncodeQR(""); err == nil {
		t.Error("empty content accepted")
	}
	if _, err := EncodeQR(strings.Repeat("x", 3000)); err == nil {
		t.Error("3000 bytes accepted")
	}
}

func TestPlaceKeepsQuietZoneAndIntegerModules(t *testing.T) {
	q, _ := EncodeQR(storeURL) // 29 modules, 37 with quiet zone
	tests := []struct {
		box   image.Rectangle
		scale int
	}{
		{image.Rect(0, 0, 122, 122), 3},
		{image.Rect(0, 0, 111, 111), 3},
		{image.Rect(0, 0, 110, 110), 2},
		{image.Rect(10, 0, 300, 480), 7},
		{image.Rect(0, 0, 37, 37), 1},
	}
	for _, tt := range tests {
		p, err := q.Place(tt.box)
		if err != nil {
			t.Fatal(err)
		}
		if p.Scale != tt.scale {
			t.Errorf("%v: scale %d, want %d", tt.box, p.Scale, tt.scale)
		}
		if !p.Rect.Inset(-QuietZone * p.Scale).In(tt.box) {
			t.Errorf("%v: quiet zone %v leaves the box", tt.box, p.Rect.Inset(-QuietZone*p.Scale))
		}
	}
	if _, err := q.Place(image.Rect(0, 0, 36, 36)); !errors.Is(err, ErrQRTooLarge) {
		t.Errorf("36 px box: err = %v, want ErrQRTooLarge", err)
	}
}

func TestComposeErrors(t *testing.T) {
	tests := map[string]struct {
		s Screen
		o Options
	}{
		"no size":      {shop, Options{}},
		"too small":    {shop, Options{Size: image.Pt(50, 50)}},
		"too large":    {shop, Options{Size: image.Pt(5000, 480)}},
		"nil screen":   {nil, Options{Size: Size250x122}},
		"empty URL":    {Store{Name: "x"}, Options{Size: Size250x122}},
		"QR too large": {Store{URL: strings.Repeat("https://x.cn/", 100)}, Options{Size: Size250x122}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := Compose(tt.s, Status{}, tt.o); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestClean(t *testing.T) {
	for in, want := range map[string]string{
		"  老王\n面馆\t ": "老王 面馆",
		"a\x00\x01b":  "a b",
		"\xff":        "\uFFFD",
		"":            "",
	} {
		if got := clean(in); got != want {
			t.Errorf("clean(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWrap(t *testing.T) {
	f := font.New(1)
	tests := []struct {
		in    string
		width int
		n     int
		want  []string
	}{
		{"老王牛肉面馆", 64, 2, []string{"老王牛肉", "面馆"}},
		{"老王牛肉面馆分店", 64, 2, []string{"老王牛肉", "面馆分店"}},
		{"老王牛肉面馆分店二", 64, 2, []string{"老王牛肉", "面馆分…"}},
		{"Lao Wang Beef", 64, 3, []string{"Lao Wang", "Beef"}},
		{"短", 64, 2, []string{"短"}},
		{"", 64, 2, nil},
		{"老王", 10, 2, []string{"…"}},
	}
	for _, tt := range tests {
		got := wrap(f, tt.in, tt.width, tt.n)
		if diff := cmp.Diff(got, tt.want); diff != "" {
			t.Errorf("wrap(%q, %d, %d) (-got +want):\n%s", tt.in, tt.width, tt.n, diff)
		}
	}
}

func TestRotateRoundTrip(t *testing.T) {
	src, err := Compose(shop, busy, Options{Size: Size250x122})
	if err != nil {
		t.Fatal(err)
	}
	r90 := Rotate(src, Rot90)
	if r90.Bounds().Size() != image.Pt(122, 250) {
		t.Fatalf("Rot90 size %v", r90.Bounds())
	}
	// The top-left pixel goes to the top-right corner.
	src.SetBit(0, 0, image1bit.Off)
	src.SetBit(1, 0, image1bit.On)
	r90 = Rotate(src, Rot90)
	if r90.BitAt(121, 0) != image1bit.Off || r90.BitAt(121, 1) != image1bit.On {
		t.Error("Rot90 is not clockwise")
	}
	back := Rotate(Rotate(Rotate(r90, Rot90), Rot90), Rot90)
	if string(back.Pix) != string(src.Pix) {
		t.Error("four quarter turns do not give the frame back")
	}
	if string(Rotate(Rotate(src, Rot180), Rot180).Pix) != string(src.Pix) {
		t.Error("two half turns do not give the frame back")
	}
	if string(Rotate(Rotate(src, Rot90), Rot270).Pix) != string(src.Pix) {
		t.Error("Rot270 does not undo Rot90")
	}
}

func TestChanged(t *testing.T) {
	a := image1bit.NewVerticalLSB(image.Rect(0, 0, 40, 30))
	b := image1bit.NewVerticalLSB(image.Rect(0, 0, 40, 30))
	if r := changed(a, b); !r.Empty() {
		t.Errorf("identical frames changed %v", r)
	}
	b.SetBit(3, 9, image1bit.On)
	b.SetBit(20, 22, image1bit.On)
	if got, want := changed(a, b), image.Rect(3, 9, 21, 23); got != want {
		t.Errorf("changed = %v, want %v", got, want)
	}
}

// TestQRSizingTable pins the figures quoted in README.md "QR sizing".
func TestQRSizingTable(t *testing.T) {
	tests := []struct {
		url     string
		version int
		level   qrcode.RecoveryLevel
		scales  []int // at 250×122, 400×300, 800×480
	}{
		{storeURL, 3, qrcode.Medium, []int{3, 7, 12}},
		{pairURL, 4, qrcode.High, []int{2, 6, 11}}, // skip2 "High" is ISO Q: raised from M for free
	}
	for _, tt := range tests {
		q, err := EncodeQR(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		if q.Version != tt.version || q.Level != tt.level {
			t.Errorf("%s: version %d level %v, want %d %v", tt.url, q.Version, q.Level, tt.version, tt.level)
		}
		for i, size := range []image.Point{Size250x122, Size400x300, Size800x480} {
			sp, err := planQR(size, q)
			if err != nil {
				t.Fatal(err)
			}
			if sp.place.Scale != tt.scales[i] {
				t.Errorf("%s at %v: %d px/module, want %d", tt.url, size, sp.place.Scale, tt.scales[i])
			}
		}
	}
}
