// Package smoketest checks a stand's own hardware on a real Raspberry Pi:
// the button pins and the INA219. It runs only when QRSTAND_HW=1 is set
// (and skips otherwise, CI included): on the Pi,
//
//	QRSTAND_HW=1 go test -v ./firmware/internal/hw/smoketest
//
// QRSTAND_HW_INA219=1 also reads the battery monitor at 0x40 on the first
// I²C bus. The panel has its own smoke test in display/epd/smoketest; the
// printer is checked with `qrstand print-test`, the speaker with
// `qrstand say 12.50`.
package smoketest
