package escpos

// QRLevel is the QR error correction level.
type QRLevel byte

// QR error correction levels, as GS ( k function 169 numbers them.
const (
	QRLevelL QRLevel = 48 // ~7 % recovery
	QRLevelM QRLevel = 49 // ~15 %
	QRLevelQ QRLevel = 50 // ~25 %
	QRLevelH QRLevel = 51 // ~30 %
)

// QRMaxData is the largest payload a QR code holds in byte mode (version
// 40, level L).
const QRMaxData = 2953

// QR prints data as a QR code with the printer's own QR generator
// (GS ( k): select model 2 (fn 165), module size in dots 1–16 (fn 167),
// error correction (fn 169), store the data (fn 180) and print it
// (fn 181). About 30 bytes plus the payload, against kilobytes as a raster.
func (e *Encoder) QR(data string, moduleDots int, level QRLevel) {
	switch {
	case len(data) == 0:
		e.fail("empty QR data")
		return
	case len(data) > QRMaxData:
		e.fail("QR data of %d bytes exceeds %d", len(data), QRMaxData)
		return
	case moduleDots < 1 || moduleDots > 16:
		e.fail("QR module size %d out of range 1–16", moduleDots)
		return
	case level < QRLevelL || level > QRLevelH:
		e.fail("QR error correction %d", level)
		return
	}
	e.write(gs, '(', 'k', 4, 0, '1', 'A', '2', 0)
	e.write(gs, '(', 'k', 3, 0, '1', 'C', byte(moduleDots))
	e.write(gs, '(', 'k', 3, 0, '1', 'E', byte(level))
	n := len(data) + 3
	e.write(gs, '(', 'k', byte(n), byte(n>>8), '1', 'P', '0')
	if e.err == nil {
		e.write([]byte(data)...)
	}
	e.write(gs, '(', 'k', 3, 0, '1', 'Q', '0')
}
