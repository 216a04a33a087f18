package display

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
	"periph.io/x/devices/v3/ssd1306/image1bit"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

const (
	storeURL = "https://pay.qrstand.cn/s/7kQ2mX9pLw"
	pairURL  = "https://pay.qrstand.cn/pair/ST-00042?c=8F3K2Q"
)

var (
	shop   = Store{Name: "老王牛肉面馆", URL: storeURL}
	paidAt = time.Date(2026, 11, 25, 6, 3, 21, 0, time.UTC) // 14:03:21 in Shanghai
	busy   = Status{
		Battery: Battery{Present: true, Percent: 76, Charging: true},
		Network: NetOnline,
		Paper:   PaperOK,
	}
)

// goldenScreens is every screen we draw, with the URL its QR must carry
// ("" for screens without a QR).
var goldenScreens = []struct {
	name   string
	screen Screen
	status Status
	lang   Lang
	url    string
}{
	{"store", shop, busy, ZhCN, storeURL},
	{"store_long_name", Store{Name: "张记老北京炸酱面（朝阳门外大街旗舰店）第二分店", URL: storeURL}, busy, ZhCN, storeURL},
	{"store_en", Store{Name: "Lao Wang Beef Noodles", URL: storeURL}, busy, EnUS, storeURL},
	{"flash_wechat", Flash{Store: shop, Fen: 1250, Channel: WeChat, At: paidAt}, busy, ZhCN, storeURL},
	{"flash_alipay_big", Flash{Store: shop, Fen: 1234567, Channel: Alipay, At: paidAt}, busy, ZhCN, storeURL},
	{"pairing", Pairing{URL: pairURL, Code: "4827"}, Status{Network: NetOnline}, ZhCN, pairURL},
	{"pairing_en", Pairing{URL: pairURL, Code: "4827"}, Status{Network: NetOnline}, EnUS, pairURL},
	{"offline", Offline{Store: &shop}, Status{Battery: Battery{Present: true, Percent: 55}, Network: NetOffline, Paper: PaperOut}, ZhCN, storeURL},
	{"offline_unpaired", Offline{}, Status{Network: NetConnecting}, ZhCN, ""},
	{"error", Error{Message: "打印机未连接，请检查数据线", Code: "E-PRN-01", Store: &shop}, busy, ZhCN, storeURL},
	{"error_noqr", Error{Message: "配置损坏，请联系客服恢复出厂设置", Code: "E-CFG-02"}, Status{}, ZhCN, ""},
	{"low_battery", LowBattery{Store: shop}, Status{Battery: Battery{Present: true, Percent: 8}, Network: NetOnline, Paper: PaperLow}, ZhCN, storeURL},
}

var goldenSizes = []image.Point{Size250x122, Size400x300, Size800x480, {122, 250}}

func TestGoldenFrames(t *testing.T) {
	for _, sc := range goldenScreens {
		for _, size := range goldenSizes {
			name := fmt.Sprintf("%s_%dx%d", sc.name, size.X, size.Y)
			t.Run(name, func(t *testing.T) {
				frame, err := Compose(sc.screen, sc.status, Options{Size: size, Lang: sc.lang})
				if err != nil {
					t.Fatal(err)
				}
				if frame.Bounds().Size() != size {
					t.Fatalf("frame is %v, want %v", frame.Bounds().Size(), size)
				}
				checkGolden(t, filepath.Join("testdata", "frames", name+".png"), frame)
				if sc.url != "" {
					if got, err := decodeQR(frame); err != nil {
						t.Errorf("QR does not decode: %v", err)
					} else if got != sc.url {
						t.Errorf("QR decodes to %q, want %q", got, sc.url)
					}
				}
			})
		}
	}
}

func checkGolden(t *testing.T, path string, frame *image1bit.VerticalLSB) {
	t.Helper()
	if *update {
		var buf bytes.Buffer
		if err := WritePNG(&buf, frame, 1); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	defer f.Close()
	want, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if want.Bounds() != frame.Bounds() {
		t.Fatalf("golden %s is %v, frame %v", path, want.Bounds(), frame.Bounds())
	}
	diff := 0
	for y := range frame.Rect.Dy() {
		for x := range frame.Rect.Dx() {
			r, _, _, _ := want.At(x, y).RGBA()
			if bool(frame.BitAt(x, y)) != (r > 0x8000) {
				diff++
			}
		}
	}
	if diff > 0 {
		t.Errorf("%d pixels differ from %s (run with -update and look at the file)", diff, path)
	}
}

// decodeQR finds and decodes the QR code in a whole frame, as a phone would.
func decodeQR(frame image.Image) (string, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(frame)
	if err != nil {
		return "", err
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{
		gozxing.DecodeHintType_TRY_HARDER: true,
	})
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}
