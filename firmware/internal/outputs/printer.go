package outputs

import (
	"context"
	"errors"

	"github.com/qrstand/qrstand/mqtt"
)

// Printer prints one ESC/POS job.
type Printer interface {
	// Print sends job to the printer; an error means it did not (fully)
	// come out.
	Print(ctx context.Context, job []byte) error
	// Paper reports the paper state as sent in status (mqtt.Paper*).
	Paper() string
}

// ErrNoPrinter is returned by a stand configured without a printer.
var ErrNoPrinter = errors.New("outputs: no printer")

// NoPrinter is a stand without a printer.
type NoPrinter struct{}

func (NoPrinter) Print(context.Context, []byte) error { return ErrNoPrinter }
func (NoPrinter) Paper() string                       { return mqtt.PaperUnknown }
