package outputs

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/printer"
)

// TransportPrinter prints through one of package printer's transports (USB
// lp, serial, TCP 9100). Before each job it asks the printer for its status
// (DLE EOT): while the paper is out, the cover open or the printer offline,
// Print fails and the stand keeps the receipt in its journal and tries
// again later — the journal is the stand's paper-out queue, and unlike an
// in-memory queue it survives a power cut. A printer that does not answer
// status requests is printed to anyway (many cheap ones cannot).
type TransportPrinter struct {
	// Open opens the transport; it is called again after a failure (a
	// printer unplugged and plugged back in).
	Open func(ctx context.Context) (printer.Transport, error)
	// StatusTimeout bounds each status answer; default
	// printer.DefaultStatusTimeout.
	StatusTimeout time.Duration
	// SkipStatus prints without asking (no back channel at all).
	SkipStatus bool

	mu    sync.Mutex
	t     printer.Transport
	paper string
}

// Print implements Printer.
func (p *TransportPrinter) Print(ctx context.Context, job []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.t == nil {
		t, err := p.Open(ctx)
		if err != nil {
			p.paper = mqtt.PaperUnknown
			return fmt.Errorf("outputs: printer: %w", err)
		}
		p.t = t
	}
	if !p.SkipStatus {
		st, err := printer.QueryStatus(p.t, p.StatusTimeout)
		switch {
		case errors.Is(err, printer.ErrNoReply):
			p.paper = mqtt.PaperUnknown
		case err != nil:
			p.drop()
			return fmt.Errorf("outputs: printer status: %w", err)
		default:
			p.paper = paperState(st)
			if err := st.Err(); err != nil {
				return fmt.Errorf("outputs: %w", err)
			}
		}
	}
	if _, err := p.t.Write(job); err != nil {
		p.drop()
		return fmt.Errorf("outputs: printer write: %w", err)
	}
	return nil
}

func (p *TransportPrinter) drop() {
	if p.t != nil {
		_ = p.t.Close()
		p.t = nil
	}
}

// Paper implements Printer: the state seen at the last job (or unknown).
func (p *TransportPrinter) Paper() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.paper == "" {
		return mqtt.PaperUnknown
	}
	return p.paper
}

// Close releases the transport.
func (p *TransportPrinter) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.drop()
	return nil
}

func paperState(s printer.Status) string {
	switch {
	case s.PaperOut:
		return mqtt.PaperOut
	case s.PaperNearEnd:
		return mqtt.PaperNearEnd
	}
	return mqtt.PaperOK
}
