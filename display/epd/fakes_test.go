package epd

import (
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
	"periph.io/x/conn/v3/spi/spitest"
)

// dcPin is periph's fake pin used as the D/C line: it remembers, for every
// level change, how many SPI operations the recorder held at that moment,
// so the byte stream can be split into commands (DC low) and data (DC high).
type dcPin struct {
	*gpiotest.Pin
	rec *spitest.Record

	mu      sync.Mutex
	changes []dcChange
}

type dcChange struct {
	op int
	l  gpio.Level
}

func (p *dcPin) Out(l gpio.Level) error {
	p.rec.Lock()
	n := len(p.rec.Ops)
	p.rec.Unlock()
	p.mu.Lock()
	p.changes = append(p.changes, dcChange{n, l})
	p.mu.Unlock()
	return p.Pin.Out(l)
}

// levelAt returns the DC level in force for SPI operation i.
func (p *dcPin) levelAt(i int) gpio.Level {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := gpio.Low
	for _, c := range p.changes {
		if c.op > i {
			break
		}
		l = c.l
	}
	return l
}

// busyPin is periph's fake pin used as the BUSY line: it reads High for the
// next Busy reads, as a panel does while its waveform runs, then Low.
// WaitForEdge returns at once (the edge "arrives"), counting calls.
type busyPin struct {
	*gpiotest.Pin

	mu    sync.Mutex
	Busy  int // reads left that report High
	Reads int
	Waits int
}

func (p *busyPin) Read() gpio.Level {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.Reads++
	if p.Busy > 0 {
		p.Busy--
		return gpio.High
	}
	return gpio.Low
}

func (p *busyPin) WaitForEdge(time.Duration) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.Waits++
	if p.Busy > 0 { // the edge ends the busy period
		p.Busy = 0
	}
	return true
}

// rig is a set of periph fakes wired like a panel HAT.
type rig struct {
	port *spitest.Record
	dc   *dcPin
	cs   *gpiotest.Pin
	rst  *gpiotest.Pin
	busy *busyPin
}

func newRig() *rig {
	r := &rig{port: &spitest.Record{}}
	r.dc = &dcPin{Pin: &gpiotest.Pin{N: "DC", Num: 25}, rec: r.port}
	r.cs = &gpiotest.Pin{N: "CS", Num: 8}
	r.rst = &gpiotest.Pin{N: "RST", Num: 17}
	r.busy = &busyPin{Pin: &gpiotest.Pin{N: "BUSY", Num: 24, EdgesChan: make(chan gpio.Level, 1)}}
	return r
}

// cmd is one controller command with its parameter bytes.
type cmd struct {
	c    byte
	data []byte
}

// commands splits the recorded SPI traffic from operation `from` on.
func (r *rig) commands(t *testing.T, from int) []cmd {
	t.Helper()
	r.port.Lock()
	var writes [][]byte
	for _, op := range r.port.Ops[from:] {
		writes = append(writes, op.W)
	}
	r.port.Unlock()
	var out []cmd
	for i, w := range writes {
		if r.dc.levelAt(from+i) == gpio.Low {
			for _, b := range w {
				out = append(out, cmd{c: b})
			}
			continue
		}
		if len(out) == 0 {
			t.Fatalf("data %x before any command", w)
		}
		out[len(out)-1].data = append(out[len(out)-1].data, w...)
	}
	return out
}

// ops returns how many SPI operations were recorded so far.
func (r *rig) ops() int {
	r.port.Lock()
	defer r.port.Unlock()
	return len(r.port.Ops)
}

// bytesFrom counts SPI bytes written since operation from.
func (r *rig) bytesFrom(from int) int {
	r.port.Lock()
	defer r.port.Unlock()
	n := 0
	for _, op := range r.port.Ops[from:] {
		n += len(op.W)
	}
	return n
}
