package printer

import (
	"errors"
	"testing"
)

func TestProfiles(t *testing.T) {
	for _, name := range []string{"58mm", "80mm"} {
		p, err := ProfileByName(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if p.Columns*12 != p.Dots {
			t.Errorf("%s: %d columns of 12 dots on %d dots", name, p.Columns, p.Dots)
		}
	}
	if _, err := ProfileByName("76mm"); !errors.Is(err, ErrProfile) {
		t.Errorf("ProfileByName(76mm) = %v", err)
	}
	bad := []Profile{
		{Dots: 100, Columns: 8, QRModule: 4},
		{Dots: 384, Columns: 33, QRModule: 4},
		{Dots: 384, Columns: 32, QRModule: 0},
		{Dots: 390, Columns: 32, QRModule: 4},
	}
	for _, p := range bad {
		if err := p.Validate(); !errors.Is(err, ErrProfile) {
			t.Errorf("%+v.Validate() = %v", p, err)
		}
	}
}
