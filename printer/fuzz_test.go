package printer

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/qrstand/qrstand/printer/escpos"
)

// FuzzPaymentText puts arbitrary text in every free-text field of a
// payment receipt (store names and clerk names come from merchants): the
// receipt still encodes, every line fits the paper, and the decoder reads
// back exactly the lines laid out.
func FuzzPaymentText(f *testing.F) {
	f.Add("老王牛肉面（人民路店）", "张三", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "QS1")
	f.Add("😀🀄 ¥ \x1b@\x1dV\x00", "\xff", "", "a\nb")
	f.Add("一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十", "x", "y", "QS2026112521030400001700000000000000000000000")
	f.Fuzz(func(t *testing.T, store, clerk, payer, order string) {
		doc := Payment{
			Store: store, Channel: WeChat, AmountFen: 1, PaidAt: at("12:00:00"),
			OrderNo: order, TransactionID: order, Payer: payer, Clerk: clerk,
		}
		if order == "" {
			doc.OrderNo = "x"
		}
		for _, p := range []Profile{Profile58(), Profile80()} {
			b, lines, err := encode(doc, p)
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			cmds := escpos.Decode(b)
			if u := escpos.Unknowns(cmds); len(u) > 0 {
				t.Fatalf("unknown commands: %v", u)
			}
			if diff := cmp.Diff(escpos.Lines(cmds), lines); diff != "" {
				t.Fatalf("decoded lines (-got +want):\n%s", diff)
			}
			for _, l := range lines {
				if escpos.Width(l) > p.Columns {
					t.Fatalf("line %q wider than %d columns", l, p.Columns)
				}
			}
		}
	})
}
