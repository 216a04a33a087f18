package printer

import (
	"errors"
	"fmt"
)

// Profile describes one printer model: what fits on a line and which
// optional commands it obeys. Printers differ; pick or build the profile
// that matches the hardware.
type Profile struct {
	// Name identifies the profile in logs and file names, e.g. "58mm".
	Name string
	// Dots is the printable width in dots at 203 dpi: 384 for 58 mm paper,
	// 576 for 80 mm.
	Dots int
	// Columns is the number of half-width characters per line in the
	// 12×24 font: Dots/12. A Chinese character takes two columns.
	Columns int
	// NativeQR is true when the printer draws QR codes itself (GS ( k);
	// otherwise QR codes are sent as raster images (GS v 0), which costs
	// kilobytes.
	NativeQR bool
	// Cutter is true when the printer has an automatic cutter.
	Cutter bool
	// QRModule is the QR module size in dots, 1–16 (default 6 at 58 mm and
	// 8 at 80 mm: 0.75 and 1 mm, easily scanned by phones).
	QRModule int
}

// Profile58 is a common 58 mm printer: 384 dots, 32 columns, native QR,
// no cutter (torn by hand).
func Profile58() Profile {
	return Profile{Name: "58mm", Dots: 384, Columns: 32, NativeQR: true, QRModule: 6}
}

// Profile80 is a common 80 mm printer: 576 dots, 48 columns, native QR
// and a cutter.
func Profile80() Profile {
	return Profile{Name: "80mm", Dots: 576, Columns: 48, NativeQR: true, Cutter: true, QRModule: 8}
}

// ErrProfile is wrapped by every Profile.Validate error.
var ErrProfile = errors.New("printer: invalid profile")

// Validate reports whether p can lay out a receipt.
func (p Profile) Validate() error {
	switch {
	case p.Dots < 192 || p.Dots > 576 || p.Dots%8 != 0:
		return fmt.Errorf("%w: %d dots (want a multiple of 8 in 192–576)", ErrProfile, p.Dots)
	case p.Columns < 16 || p.Columns*12 > p.Dots:
		return fmt.Errorf("%w: %d columns do not fit %d dots at 12 dots each", ErrProfile, p.Columns, p.Dots)
	case p.QRModule < 1 || p.QRModule > 16:
		return fmt.Errorf("%w: QR module size %d (want 1–16)", ErrProfile, p.QRModule)
	}
	return nil
}

// ProfileByName returns the built-in profile called name, "58mm" or
// "80mm", for configuration files; adjust its fields (NativeQR, Cutter)
// to the model after.
func ProfileByName(name string) (Profile, error) {
	for _, p := range []Profile{Profile58(), Profile80()} {
		if p.Name == name {
			return p, nil
		}
	}
	return Profile{}, fmt.Errorf("%w: no built-in profile %q (want 58mm or 80mm)", ErrProfile, name)
}
