package outputs

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

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

// DevicePrinter writes jobs to a character device such as /dev/usb/lp0 or a
// serial port already set up by the system (stty), opening it per job so a
// printer that was unplugged and plugged back in works again.
type DevicePrinter struct {
	Path string
}

// Print implements Printer.
func (p DevicePrinter) Print(ctx context.Context, job []byte) error {
	f, err := os.OpenFile(p.Path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("outputs: printer %s: %w", p.Path, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = f.SetWriteDeadline(dl)
	}
	_, err = f.Write(job)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("outputs: printer %s: %w", p.Path, err)
	}
	return nil
}

// Paper implements Printer; a plain device file cannot say.
func (DevicePrinter) Paper() string { return mqtt.PaperUnknown }

// TCPPrinter sends jobs to a network printer's raw port (host:9100).
type TCPPrinter struct {
	Addr    string
	Timeout time.Duration // default 10 s
}

// Print implements Printer.
func (p TCPPrinter) Print(ctx context.Context, job []byte) error {
	to := p.Timeout
	if to <= 0 {
		to = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, to)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", p.Addr)
	if err != nil {
		return fmt.Errorf("outputs: printer %s: %w", p.Addr, err)
	}
	defer c.Close()
	dl, _ := ctx.Deadline()
	_ = c.SetWriteDeadline(dl)
	if _, err := c.Write(job); err != nil {
		return fmt.Errorf("outputs: printer %s: %w", p.Addr, err)
	}
	return nil
}

// Paper implements Printer.
func (TCPPrinter) Paper() string { return mqtt.PaperUnknown }
