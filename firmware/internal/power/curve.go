package power

import "fmt"

// Point is one point of a discharge curve.
type Point struct {
	MilliVolt int
	Percent   int
}

// Curve maps a resting pack voltage to a state of charge, by linear
// interpolation between points sorted by falling voltage.
type Curve []Point

// LiIon1S is a typical single-cell Li-ion/LiPo discharge curve at a light
// load (a Pi Zero 2 W idles at ~100 mA): flat between 3.7 and 3.9 V, steep
// below 3.5 V. It is an estimate; the low and critical thresholds leave
// margin for it.
var LiIon1S = Curve{
	{4200, 100}, {4100, 92}, {4000, 83}, {3900, 71}, {3800, 58},
	{3750, 48}, {3700, 37}, {3650, 26}, {3600, 18}, {3500, 8},
	{3400, 3}, {3300, 0},
}

// Validate checks that c falls strictly in voltage and does not rise in
// percent.
func (c Curve) Validate() error {
	if len(c) < 2 {
		return fmt.Errorf("power: a curve needs at least two points")
	}
	for i := 1; i < len(c); i++ {
		if c[i].MilliVolt >= c[i-1].MilliVolt || c[i].Percent > c[i-1].Percent {
			return fmt.Errorf("power: curve point %d (%d mV, %d%%) out of order", i, c[i].MilliVolt, c[i].Percent)
		}
	}
	return nil
}

// Percent returns the state of charge at mV, clamped to the curve's ends.
func (c Curve) Percent(mV int) int {
	if mV >= c[0].MilliVolt {
		return c[0].Percent
	}
	for i := 1; i < len(c); i++ {
		hi, lo := c[i-1], c[i]
		if mV >= lo.MilliVolt {
			// Round to the nearest percent.
			num := (mV-lo.MilliVolt)*(hi.Percent-lo.Percent)*2 + (hi.MilliVolt - lo.MilliVolt)
			return lo.Percent + num/(2*(hi.MilliVolt-lo.MilliVolt))
		}
	}
	return c[len(c)-1].Percent
}

// MilliVolt is the inverse of Percent: the lowest voltage that reads as pct
// (clamped to 0..100 and to the curve's ends). The simulator's battery knob
// uses it to write a reading that shows the chosen charge.
func (c Curve) MilliVolt(pct int) int {
	pct = max(0, min(100, pct))
	lo, hi := c[len(c)-1].MilliVolt, c[0].MilliVolt
	for lo < hi { // Percent does not fall as the voltage rises
		mid := (lo + hi) / 2
		if c.Percent(mid) >= pct {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}
