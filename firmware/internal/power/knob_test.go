package power

import (
	"path/filepath"
	"testing"
)

// TestCurveMilliVoltInverts: every percent written by MilliVolt reads back
// as that percent.
func TestCurveMilliVoltInverts(t *testing.T) {
	for pct := 0; pct <= 100; pct++ {
		if got := LiIon1S.Percent(LiIon1S.MilliVolt(pct)); got != pct {
			t.Errorf("Percent(MilliVolt(%d)) = %d", pct, got)
		}
	}
	if LiIon1S.MilliVolt(-5) != LiIon1S.MilliVolt(0) || LiIon1S.Percent(LiIon1S.MilliVolt(150)) != 100 {
		t.Error("MilliVolt does not clamp")
	}
}

// TestFileSensorSet: the knob's reading comes back through a Monitor with
// the chosen charge, on battery or charging.
func TestFileSensorSet(t *testing.T) {
	f := FileSensor{Path: filepath.Join(t.TempDir(), "battery")}
	m, err := NewMonitor(f, Opts{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		pct      int
		charging bool
		low      bool
	}{{15, false, true}, {80, false, false}, {15, true, true}} {
		if err := f.Set(c.pct, c.charging, nil); err != nil {
			t.Fatal(err)
		}
		b, err := m.Read()
		if err != nil {
			t.Fatal(err)
		}
		if b.Percent != c.pct || b.Charging != c.charging || b.OnBattery == c.charging || b.Low != c.low {
			t.Errorf("Set(%d, %v) read back %+v", c.pct, c.charging, b)
		}
	}
	if err := f.Set(101, false, nil); err == nil {
		t.Error("Set(101) accepted")
	}
}
