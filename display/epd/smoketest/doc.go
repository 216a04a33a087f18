// Package smoketest checks a real e-ink panel on a Raspberry Pi. Its only
// test skips unless QRSTAND_PANEL names the attached panel, so it is safe in
// CI and on laptops. See display/README.md "Hardware smoke test".
package smoketest
