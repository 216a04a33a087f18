package wechatsim

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// TestConfirmPageGolden pins the confirm page's HTML for a fixed order and
// for an error.
func TestConfirmPageGolden(t *testing.T) {
	tests := []struct {
		name string
		v    confirmView
	}{
		{"confirm", confirmView{Payee: "老王面馆", Amount: "12.50", Description: "老王面馆-扫码付款",
			OutTradeNo: "QRS20261125000001", PrepayID: "wx20261125120000000001", Return: "https://pay.example.com/r?o=1", Action: ConfirmPath}},
		{"confirm_error", confirmView{Error: "该订单已过期，请重新下单"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := pages.ExecuteTemplate(&buf, "confirm.html", tt.v); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", tt.name+".golden.html")
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			if diff := cmp.Diff(buf.String(), string(want)); diff != "" {
				t.Errorf("%s (-got +want):\n%s", golden, diff)
			}
		})
	}
}
