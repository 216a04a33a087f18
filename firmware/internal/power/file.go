package power

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"periph.io/x/conn/v3/physic"
	"periph.io/x/devices/v3/ina219"
)

// FileSensor is the simulator's battery: it reads "MILLIVOLTS MILLIAMPS"
// from a text file (e.g. "3600 150": a pack at 3.6 V feeding the stand
// 150 mA), so a developer can drain or charge the simulated stand with
// echo. A missing file reads as a full pack on mains.
type FileSensor struct {
	Path string
}

// Sense implements Sensor.
func (f FileSensor) Sense() (ina219.PowerMonitor, error) {
	b, err := os.ReadFile(f.Path)
	if os.IsNotExist(err) {
		return ina219.PowerMonitor{Voltage: 4200 * physic.MilliVolt}, nil
	}
	if err != nil {
		return ina219.PowerMonitor{}, fmt.Errorf("power: %w", err)
	}
	return parseReading(string(b))
}

func parseReading(s string) (ina219.PowerMonitor, error) {
	fields := strings.Fields(s)
	if len(fields) != 2 {
		return ina219.PowerMonitor{}, fmt.Errorf("power: battery file: want \"MILLIVOLTS MILLIAMPS\", got %q", truncate(s))
	}
	mv, err1 := strconv.Atoi(fields[0])
	ma, err2 := strconv.Atoi(fields[1])
	if err1 != nil || err2 != nil || mv < 0 || mv > 30000 || ma < -10000 || ma > 10000 {
		return ina219.PowerMonitor{}, fmt.Errorf("power: battery file: bad reading %q", truncate(s))
	}
	return ina219.PowerMonitor{
		Voltage: physic.ElectricPotential(mv) * physic.MilliVolt,
		Current: physic.ElectricCurrent(ma) * physic.MilliAmpere,
	}, nil
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// Set writes a reading that shows pct percent on curve (nil: LiIon1S),
// charging (current into the pack) or feeding the stand: the simulator
// page's battery knob. The file is replaced atomically, so Sense never
// reads half of it.
func (f FileSensor) Set(pct int, charging bool, curve Curve) error {
	if pct < 0 || pct > 100 {
		return fmt.Errorf("power: battery percent %d out of 0..100", pct)
	}
	if curve == nil {
		curve = LiIon1S
	}
	ma := 150 // the stand runs from the pack
	if charging {
		ma = -300
	}
	tmp := f.Path + ".tmp"
	if err := os.WriteFile(tmp, []byte(fmt.Sprintf("%d %d\n", curve.MilliVolt(pct), ma)), 0o644); err != nil {
		return fmt.Errorf("power: %w", err)
	}
	if err := os.Rename(tmp, f.Path); err != nil {
		return fmt.Errorf("power: %w", err)
	}
	return nil
}
