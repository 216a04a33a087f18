package power

import (
	"fmt"
	"time"

	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/devices/v3/ina219"
)

// Battery is one reading with the thresholds applied.
type Battery struct {
	Percent   int  // state of charge, 0–100
	MilliVolt int  // pack voltage
	MilliAmp  int  // current out of the pack (negative: charging)
	Charging  bool // the charger fills the pack
	OnBattery bool // the stand runs from the pack: the battery policy applies
	Low       bool // at or below the low threshold: banner on screen
	Critical  bool // at or below the critical threshold: shut down safely
}

// Sensor is what Monitor reads; *ina219.Dev is one.
type Sensor interface {
	Sense() (ina219.PowerMonitor, error)
}

// Opts configure a Monitor.
type Opts struct {
	// Curve maps voltage to charge; default LiIon1S.
	Curve Curve
	// LowPercent and CriticalPercent: defaults 20 and 5.
	LowPercent, CriticalPercent int
	// ChargeMilliAmp and DrawMilliAmp are the current thresholds beyond
	// which the pack counts as charging or as powering the stand;
	// defaults 20 and 10 mA (in between: on mains with a full pack).
	ChargeMilliAmp, DrawMilliAmp int
}

func (o *Opts) setDefaults() {
	if o.Curve == nil {
		o.Curve = LiIon1S
	}
	if o.LowPercent == 0 {
		o.LowPercent = 20
	}
	if o.CriticalPercent == 0 {
		o.CriticalPercent = 5
	}
	if o.ChargeMilliAmp == 0 {
		o.ChargeMilliAmp = 20
	}
	if o.DrawMilliAmp == 0 {
		o.DrawMilliAmp = 10
	}
}

// Validate reports whether o is usable (after defaults).
func (o Opts) Validate() error {
	o.setDefaults()
	if err := o.Curve.Validate(); err != nil {
		return err
	}
	if o.CriticalPercent < 0 || o.CriticalPercent >= o.LowPercent || o.LowPercent > 100 {
		return fmt.Errorf("power: want 0 <= critical (%d) < low (%d) <= 100", o.CriticalPercent, o.LowPercent)
	}
	return nil
}

// Monitor reads the battery.
type Monitor struct {
	s Sensor
	o Opts
}

// NewMonitor returns a Monitor reading s.
func NewMonitor(s Sensor, o Opts) (*Monitor, error) {
	o.setDefaults()
	if err := o.Validate(); err != nil {
		return nil, err
	}
	return &Monitor{s: s, o: o}, nil
}

// OpenINA219 opens an INA219 at addr on bus with a shunt of shuntMilliOhm
// and returns a Monitor reading it. The bus is opened by the caller (a
// real i2creg bus on a Pi, i2ctest in tests).
func OpenINA219(bus i2c.Bus, addr, shuntMilliOhm int, o Opts) (*Monitor, error) {
	dev, err := ina219.New(bus, &ina219.Opts{
		Address:       addr,
		SenseResistor: physic.ElectricResistance(shuntMilliOhm) * physic.MilliOhm,
		MaxCurrent:    3200 * physic.MilliAmpere,
	})
	if err != nil {
		return nil, fmt.Errorf("power: ina219: %w", err)
	}
	return NewMonitor(dev, o)
}

// Read takes one reading.
func (m *Monitor) Read() (Battery, error) {
	pm, err := m.s.Sense()
	if err != nil {
		return Battery{}, fmt.Errorf("power: read: %w", err)
	}
	mv := int(pm.Voltage / physic.MilliVolt)
	ma := int(pm.Current / physic.MilliAmpere)
	pct := m.o.Curve.Percent(mv)
	return Battery{
		Percent:   pct,
		MilliVolt: mv,
		MilliAmp:  ma,
		Charging:  ma <= -m.o.ChargeMilliAmp,
		OnBattery: ma >= m.o.DrawMilliAmp,
		Low:       pct <= m.o.LowPercent,
		Critical:  pct <= m.o.CriticalPercent,
	}, nil
}

// Policy is what the stand changes on battery.
type Policy struct {
	KeepAlive time.Duration // MQTT keepalive
	Flash     bool          // payment flash on screen (2 refreshes per payment)
	PollEvery time.Duration // how often the stand looks at battery and paper
}

// PolicyFor returns the policy for b, given the keepalives on mains and on
// battery.
func PolicyFor(b Battery, mains, battery time.Duration) Policy {
	if b.OnBattery {
		return Policy{KeepAlive: battery, Flash: false, PollEvery: 60 * time.Second}
	}
	return Policy{KeepAlive: mains, Flash: true, PollEvery: 15 * time.Second}
}
