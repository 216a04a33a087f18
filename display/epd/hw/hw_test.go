package hw

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDefaults(t *testing.T) {
	got := defaults(Wiring{BUSY: "GPIO5"}, "GPIO25", "GPIO17", "GPIO24")
	want := Wiring{SPI: "SPI0.0", DC: "GPIO25", RST: "GPIO17", BUSY: "GPIO5"}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("defaults (-got +want):\n%s", diff)
	}
	if err := (noCS{}).Out(true); err != nil {
		t.Errorf("noCS.Out: %v", err)
	}
}
