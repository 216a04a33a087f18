package outputs

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/printer/render"
)

// SimPrinter writes every job into Dir as receipt-NNNNNN.bin (the ESC/POS
// bytes) and receipt-NNNNNN.png (as the printer would print it).
type SimPrinter struct {
	Dir  string
	Dots int // paper width in dots: 384 (58 mm) or 576 (80 mm)

	mu    sync.Mutex
	n     int
	paper string
	files []string
}

// NewSimPrinter creates dir if needed and continues the numbering of the
// receipts already there.
func NewSimPrinter(dir string, dots int) (*SimPrinter, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("outputs: %w", err)
	}
	old, _ := filepath.Glob(filepath.Join(dir, "receipt-*.bin"))
	return &SimPrinter{Dir: dir, Dots: dots, n: len(old), paper: mqtt.PaperOK}, nil
}

// SetPaper simulates the paper state; while it is out, Print fails.
func (p *SimPrinter) SetPaper(state string) {
	p.mu.Lock()
	p.paper = state
	p.mu.Unlock()
}

// Paper implements Printer.
func (p *SimPrinter) Paper() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.paper
}

// Print implements Printer.
func (p *SimPrinter) Print(ctx context.Context, job []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.paper == mqtt.PaperOut {
		return fmt.Errorf("outputs: sim printer: paper out")
	}
	p.n++
	base := filepath.Join(p.Dir, fmt.Sprintf("receipt-%06d", p.n))
	if err := writeAtomic(base+".bin", job); err != nil {
		return err
	}
	var png bytes.Buffer
	if _, err := render.WritePNG(&png, job, render.Options{Dots: p.Dots}); err != nil {
		return fmt.Errorf("outputs: sim printer: render: %w", err)
	}
	if err := writeAtomic(base+".png", png.Bytes()); err != nil {
		return err
	}
	p.files = append(p.files, base+".bin")
	return nil
}

// Jobs returns the .bin files printed by this printer, oldest first.
func (p *SimPrinter) Jobs() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.files...)
}

func writeAtomic(name string, b []byte) error {
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("outputs: %w", err)
	}
	if err := os.Rename(tmp, name); err != nil {
		return fmt.Errorf("outputs: %w", err)
	}
	return nil
}
