package power

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFileSensor(t *testing.T) {
	path := filepath.Join(t.TempDir(), "battery")
	m, err := NewMonitor(FileSensor{Path: path}, Opts{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.Read()
	if err != nil || b.Percent != 100 || b.OnBattery {
		t.Fatalf("no file: %+v %v, want full on mains", b, err)
	}
	os.WriteFile(path, []byte("3600 150\n"), 0o644)
	if b, err = m.Read(); err != nil || !b.Low || !b.OnBattery || b.Percent != 18 {
		t.Errorf("3600 150: %+v %v", b, err)
	}
	os.WriteFile(path, []byte("lots"), 0o644)
	if _, err := m.Read(); err == nil {
		t.Error("a bad file reads without error")
	}
}

// FuzzParseReading: the battery file is outside input.
func FuzzParseReading(f *testing.F) {
	for _, s := range []string{"3600 150", "4200 -500", "", "1 2 3", "99999999999999999999 1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		pm, err := parseReading(s)
		if err == nil && pm.Voltage < 0 {
			t.Errorf("%q: negative voltage accepted", s)
		}
	})
}
