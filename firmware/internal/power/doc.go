// Package power reads the battery of a battery-powered stand through an
// INA219 current/voltage monitor (periph.io/x/devices/v3/ina219; datasheet
// https://www.ti.com/lit/ds/symlink/ina219.pdf), turns the pack voltage into a
// state of charge with a 1S Li-ion curve, and applies the thresholds and the
// battery policy: on battery the stand uses a longer MQTT keepalive and
// fewer display refreshes; at the low threshold it shows a banner; at the
// critical threshold it shuts down safely, leaving the store QR on the e-ink
// screen.
//
// The INA219 sits on the high side between the battery and the load: a
// positive current means the stand draws from the battery, a negative one
// that the charger fills it.
package power
