// Package printertest has a fake printer for tests of code that prints
// through a printer.Transport. Like periph's conntest, it fails the test
// loudly on anything a real printer would not take well: writing while the
// paper is out or the cover is open, status requests it does not know, use
// after Close.
package printertest

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/qrstand/qrstand/printer"
)

// Printer is a fake printer.Transport. Set its exported fields through Set
// (or before first use) to simulate events; they are read under its lock.
type Printer struct {
	t  testing.TB
	mu sync.Mutex

	// PaperOut, CoverOpen, Offline, PaperNearEnd and Error are the state
	// the printer reports to DLE EOT.
	PaperOut, CoverOpen, Offline, PaperNearEnd, Error bool
	// NoReply makes status queries time out (printer off, or a transport
	// without a back channel).
	NoReply bool
	// WriteErr, while non-nil, fails every Write with it (cable pulled).
	WriteErr error
	// QueryErr, while non-nil, fails every Query with it.
	QueryErr error

	written [][]byte
	queries int
	closed  bool
}

var _ printer.Transport = (*Printer)(nil)

// New returns a ready printer with paper that reports misuse to t.
func New(t testing.TB) *Printer { return &Printer{t: t} }

// Set changes the simulated state under the printer's lock.
func (p *Printer) Set(f func(p *Printer)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(p)
}

// Write implements printer.Transport. Each call's bytes are kept apart so
// tests can check job order.
func (p *Printer) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.closed:
		p.t.Errorf("printertest: Write of %d bytes after Close", len(b))
		return 0, errors.New("printertest: closed")
	case p.WriteErr != nil:
		return 0, p.WriteErr
	case p.PaperOut || p.CoverOpen || p.Offline:
		p.t.Errorf("printertest: Write of %d bytes while the printer cannot print (paper out %v, cover open %v, offline %v): these bytes would be lost",
			len(b), p.PaperOut, p.CoverOpen, p.Offline)
		return 0, errors.New("printertest: printer not ready")
	}
	p.written = append(p.written, bytes.Clone(b))
	return len(b), nil
}

// Query implements printer.Transport for DLE EOT 1, 2 and 4.
func (p *Printer) Query(req []byte, timeout time.Duration) (byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		p.t.Errorf("printertest: Query after Close")
		return 0, errors.New("printertest: closed")
	}
	if timeout <= 0 {
		p.t.Errorf("printertest: Query with timeout %v: it would never return on a dead printer", timeout)
	}
	if p.QueryErr != nil {
		return 0, p.QueryErr
	}
	if len(req) != 3 || req[0] != 0x10 || req[1] != 0x04 {
		p.t.Errorf("printertest: unexpected query % X", req)
		return 0, fmt.Errorf("printertest: unexpected query % X", req)
	}
	p.queries++
	if p.NoReply {
		return 0, printer.ErrNoReply
	}
	n1, n2, n4 := printer.StatusBytes(printer.Status{
		Offline: p.Offline, CoverOpen: p.CoverOpen, PaperOut: p.PaperOut,
		PaperNearEnd: p.PaperNearEnd, Error: p.Error,
	})
	switch req[2] {
	case 1:
		return n1, nil
	case 2:
		return n2, nil
	case 4:
		return n4, nil
	}
	p.t.Errorf("printertest: unexpected DLE EOT %d", req[2])
	return 0, fmt.Errorf("printertest: unexpected DLE EOT %d", req[2])
}

// Close implements printer.Transport. Closing twice fails the test.
func (p *Printer) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		p.t.Errorf("printertest: Close called twice")
	}
	p.closed = true
	return nil
}

// Writes returns a copy of the bytes of every successful Write, in order.
func (p *Printer) Writes() [][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([][]byte, len(p.written))
	for i, w := range p.written {
		out[i] = bytes.Clone(w)
	}
	return out
}

// Queries returns how many status requests were answered or timed out.
func (p *Printer) Queries() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.queries
}
