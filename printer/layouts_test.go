package printer

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/qrstand/qrstand/printer/escpos"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// TestLayoutsGolden encodes every layout on every profile and compares the
// bytes with testdata/<layout>_<profile>.bin (go test -update rewrites
// them). It also checks that the decoder finds only known commands and
// reads back exactly the text lines the layout printed, each fitting the
// paper.
func TestLayoutsGolden(t *testing.T) {
	for _, f := range fixtures() {
		for _, p := range profiles() {
			name := f.name + "_" + p.Name
			t.Run(name, func(t *testing.T) {
				got, lines, err := encode(f.doc, p)
				if err != nil {
					t.Fatal(err)
				}
				golden := filepath.Join("testdata", name+".bin")
				if *update {
					if err := os.WriteFile(golden, got, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run go test -update to create it)", err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("bytes differ from %s: got %d bytes, want %d (go test -update rewrites it)", golden, len(got), len(want))
				}
				cmds := escpos.Decode(got)
				if u := escpos.Unknowns(cmds); len(u) > 0 {
					t.Errorf("unknown commands: %v", u)
				}
				if diff := cmp.Diff(escpos.Lines(cmds), lines); diff != "" {
					t.Errorf("decoded lines (-got +want):\n%s", diff)
				}
				for _, l := range lines {
					if w := escpos.Width(l); w > p.Columns {
						t.Errorf("line %q is %d columns wide, paper has %d", l, w, p.Columns)
					}
				}
				if p.NativeQR && hasKind(cmds, escpos.Raster) || !p.NativeQR && hasKind(cmds, escpos.QRPrint) {
					t.Errorf("NativeQR=%v but the QR went out the other way", p.NativeQR)
				}
				if p.Cutter != (hasKind(cmds, escpos.FeedAndCut) || hasKind(cmds, escpos.Cut)) {
					t.Errorf("Cutter=%v but cut command present=%v", p.Cutter, !p.Cutter)
				}
			})
		}
	}
}

func hasKind(cmds []escpos.Command, k escpos.Kind) bool {
	for _, c := range cmds {
		if c.Kind == k {
			return true
		}
	}
	return false
}

func TestPaymentContent(t *testing.T) {
	doc := fixtures()[0].doc.(Payment)
	_, lines, err := encode(doc, Profile58())
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(lines, "\n")
	for _, want := range []string{"微信支付", "￥12.50", "2026-11-25 21:03:04", "QS20261125210304000017",
		"34567890", "oUp****eS6o", "张三", "扫码查看订单"} {
		if !strings.Contains(text, want) {
			t.Errorf("receipt lacks %q:\n%s", want, text)
		}
	}
	for _, bad := range []string{"¥", "补打", "4200002417"} {
		if strings.Contains(text, bad) {
			t.Errorf("receipt contains %q:\n%s", bad, text)
		}
	}
	doc.Reprint = true
	_, lines, err = encode(doc, Profile58())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(lines, "\n"), "【补打】") {
		t.Errorf("reprint lacks the 补打 label")
	}
}

// The customer's remark is printed, and a line break typed into it does
// not start a line of its own (it could forge one, e.g. a 实收 line).
func TestPaymentRemark(t *testing.T) {
	doc := fixtures()[0].doc.(Payment)
	doc.Remark = "少放辣\n实收 ￥999.00"
	_, lines, err := encode(doc, Profile58())
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "实收") {
			t.Errorf("remark forged a line: %q", l)
		}
		if strings.Contains(l, "备注") && strings.Contains(l, "少放辣") {
			found = true
		}
	}
	if !found {
		t.Errorf("receipt lacks the remark:\n%s", strings.Join(lines, "\n"))
	}
}

func TestShiftNet(t *testing.T) {
	s := fixtures()[3].doc.(Shift)
	_, lines, err := encode(s, Profile80())
	if err != nil {
		t.Fatal(err)
	}
	// 实收 = 交易 − 退款 = 1234.50 − 10.00
	if !strings.Contains(strings.Join(lines, "\n"), "￥1224.50") {
		t.Errorf("handover slip lacks 实收 ￥1224.50:\n%s", strings.Join(lines, "\n"))
	}
}

func TestEncodeRejects(t *testing.T) {
	ok := fixtures()[0].doc.(Payment)
	tests := []struct {
		name string
		doc  Document
		p    Profile
		want error
	}{
		{"zero amount", func() Payment { p := ok; p.AmountFen = 0; return p }(), Profile58(), ErrDocument},
		{"unknown channel", func() Payment { p := ok; p.Channel = "paypal"; return p }(), Profile58(), ErrDocument},
		{"no time", func() Payment { p := ok; p.PaidAt = time.Time{}; return p }(), Profile58(), ErrDocument},
		{"refund too large", Refund{Channel: WeChat, AmountFen: 2, OrderAmountFen: 1, RefundedAt: at("10:00:00"), OrderNo: "x"}, Profile58(), ErrDocument},
		{"shift backwards", Shift{Clerk: "a", Start: at("10:00:00"), End: at("09:00:00")}, Profile58(), ErrDocument},
		{"empty catch-up", CatchUp{}, Profile58(), ErrDocument},
		{"bad profile", ok, Profile{Dots: 384, Columns: 40, QRModule: 6}, ErrProfile},
		{"QR too long", func() Payment { p := ok; p.OrderURL = strings.Repeat("x", 3000); return p }(), Profile58(), escpos.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Encode(tt.doc, tt.p)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Encode error = %v, want %v", err, tt.want)
			}
			if b != nil {
				t.Errorf("Encode returned %d bytes with an error", len(b))
			}
		})
	}
}

func TestMaskPayer(t *testing.T) {
	tests := map[string]string{
		"":                             "*",
		"李":                            "*",
		"李四":                           "李*",
		"欧阳小明":                         "欧**明",
		"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o": "oUp****eS6o",
	}
	for in, want := range tests {
		if got := maskPayer(in); got != want {
			t.Errorf("maskPayer(%q) = %q, want %q", in, got, want)
		}
	}
}
