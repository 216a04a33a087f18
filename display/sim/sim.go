// Package sim is a simulated e-ink panel for the stand's -sim mode and for
// tests: every refresh becomes a PNG file in a folder, plus a scaled-up
// preview of the current frame, so the stand's face can be watched on a
// laptop.
//
// Files written in Dir:
//
//	frame-000001.png …  every refresh, 1:1, the last Keep kept
//	current.png         the current frame, 1:1
//	preview.png         the current frame scaled Scale× (nearest neighbour)
//
// Files are written to a temporary name and renamed, so a web page polling
// preview.png never sees half a file.
package sim

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/qrstand/qrstand/display"
	"periph.io/x/devices/v3/ssd1306/image1bit"
)

// Opts configures a Panel.
type Opts struct {
	// Dir receives the PNG files; required. It is created if missing.
	Dir string
	// Size is the native panel size; default 250×122.
	Size image.Point
	// Keep is how many frame-*.png files to keep; default 50.
	Keep int
	// Scale of preview.png; default 3.
	Scale int
	// Partial makes the panel accept partial refreshes, like a
	// waveshare2in13v2; default false (full only, like an Inky).
	Partial bool
}

// DefaultOpts holds the values New uses for Opts fields left zero.
var DefaultOpts = Opts{Size: display.Size250x122, Keep: 50, Scale: 3}

// withDefaults returns o with its zero fields taken from DefaultOpts.
func (o Opts) withDefaults() Opts {
	d := DefaultOpts
	if o.Size == (image.Point{}) {
		o.Size = d.Size
	}
	if o.Keep == 0 {
		o.Keep = d.Keep
	}
	if o.Scale == 0 {
		o.Scale = d.Scale
	}
	return o
}

// Validate reports whether o is usable.
func (o Opts) Validate() error {
	if o.Dir == "" {
		return errors.New("sim: Dir is required")
	}
	if o.Size.X < 0 || o.Size.Y < 0 || o.Keep < 0 || o.Scale < 0 || o.Scale > 16 {
		return errors.New("sim: negative or out-of-range option")
	}
	return nil
}

// Panel is a display.Panel that writes PNG files.
type Panel struct {
	o Opts

	mu      sync.Mutex
	seq     int
	asleep  bool
	refresh []Refresh
}

// Refresh records one call to Panel.Refresh.
type Refresh struct {
	Mode display.Mode
	Area image.Rectangle
	File string // frame file name in Dir
}

var _ display.Panel = (*Panel)(nil)

// New returns a simulated panel writing into o.Dir.
func New(o Opts) (*Panel, error) {
	o = o.withDefaults()
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	// Continue numbering after frames left by an earlier run, so pruning
	// keeps the newest.
	seq := 0
	old, _ := filepath.Glob(filepath.Join(o.Dir, "frame-*.png"))
	for _, f := range old {
		var n int
		if _, err := fmt.Sscanf(filepath.Base(f), "frame-%06d.png", &n); err == nil {
			seq = max(seq, n)
		}
	}
	return &Panel{o: o, seq: seq}, nil
}

// Bounds implements display.Panel.
func (p *Panel) Bounds() image.Rectangle { return image.Rectangle{Max: p.o.Size} }

// CanPartial implements display.Panel.
func (p *Panel) CanPartial() bool { return p.o.Partial }

// Refresh implements display.Panel: it writes the frame files.
func (p *Panel) Refresh(frame *image1bit.VerticalLSB, area image.Rectangle, mode display.Mode) error {
	if frame.Bounds() != p.Bounds() {
		return fmt.Errorf("sim: frame %v, panel %v", frame.Bounds(), p.Bounds())
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seq++
	p.asleep = false
	name := fmt.Sprintf("frame-%06d.png", p.seq)
	if err := p.write(name, frame, 1); err != nil {
		return err
	}
	if err := p.write("current.png", frame, 1); err != nil {
		return err
	}
	if err := p.write("preview.png", frame, p.o.Scale); err != nil {
		return err
	}
	p.refresh = append(p.refresh, Refresh{Mode: mode, Area: area, File: name})
	return p.prune()
}

// Sleep implements display.Panel.
func (p *Panel) Sleep() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.asleep = true
	return nil
}

// Asleep reports whether Sleep was called after the last Refresh.
func (p *Panel) Asleep() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.asleep
}

// Refreshes returns every refresh so far, oldest first.
func (p *Panel) Refreshes() []Refresh {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Refresh(nil), p.refresh...)
}

func (p *Panel) write(name string, frame *image1bit.VerticalLSB, scale int) error {
	var buf bytes.Buffer
	if err := display.WritePNG(&buf, frame, scale); err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	tmp := filepath.Join(p.o.Dir, "."+name+".tmp")
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(p.o.Dir, name)); err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	return nil
}

// prune deletes all but the newest Keep frame files.
func (p *Panel) prune() error {
	files, err := filepath.Glob(filepath.Join(p.o.Dir, "frame-*.png"))
	if err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	sort.Strings(files) // zero-padded sequence numbers sort in order
	for len(files) > p.o.Keep {
		if err := os.Remove(files[0]); err != nil {
			return fmt.Errorf("sim: %w", err)
		}
		files = files[1:]
	}
	return nil
}
