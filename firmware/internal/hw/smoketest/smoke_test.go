package smoketest

import (
	"os"
	"testing"

	"periph.io/x/conn/v3/gpio"

	"github.com/qrstand/qrstand/firmware/internal/hw"
	"github.com/qrstand/qrstand/firmware/internal/power"
)

func needHardware(t *testing.T) {
	if os.Getenv("QRSTAND_HW") != "1" {
		t.Skip("hardware smoke test: set QRSTAND_HW=1 on a Raspberry Pi")
	}
}

// TestButtonsIdleHigh: every default button pin exists and reads high with
// the pull-up (a low pin is a short or a stuck button).
func TestButtonsIdleHigh(t *testing.T) {
	needHardware(t)
	for _, name := range []string{"GPIO5", "GPIO6", "GPIO13", "GPIO19"} {
		p, err := hw.Pin(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.In(gpio.PullUp, gpio.NoEdge); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if l := p.Read(); l != gpio.High {
			t.Errorf("%s reads %v with the pull-up: button stuck or shorted?", name, l)
		}
	}
}

// TestINA219: the monitor answers and the pack voltage is plausible for
// one Li-ion cell.
func TestINA219(t *testing.T) {
	needHardware(t)
	if os.Getenv("QRSTAND_HW_INA219") != "1" {
		t.Skip("set QRSTAND_HW_INA219=1 when an INA219 is fitted")
	}
	bus, err := hw.OpenI2C("")
	if err != nil {
		t.Fatal(err)
	}
	defer bus.Close()
	m, err := power.OpenINA219(bus, 0x40, 100, power.Opts{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.Read()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("battery: %+v", b)
	if b.MilliVolt < 2800 || b.MilliVolt > 4350 {
		t.Errorf("pack voltage %d mV is not a 1S Li-ion cell", b.MilliVolt)
	}
}
