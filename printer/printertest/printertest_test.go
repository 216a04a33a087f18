package printertest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/qrstand/qrstand/printer"
)

// recorder catches the failures the fake reports instead of failing this
// test.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func TestFailsLoudlyOnMisuse(t *testing.T) {
	tests := []struct {
		name string
		do   func(p *Printer)
	}{
		{"write while paper out", func(p *Printer) { p.PaperOut = true; p.Write([]byte("x")) }},
		{"write while cover open", func(p *Printer) { p.CoverOpen = true; p.Write([]byte("x")) }},
		{"unknown query", func(p *Printer) { p.Query([]byte{0x1b, 0x76}, time.Second) }},
		{"DLE EOT 3", func(p *Printer) { p.Query([]byte{0x10, 0x04, 3}, time.Second) }},
		{"query without timeout", func(p *Printer) { p.Query([]byte{0x10, 0x04, 1}, 0) }},
		{"write after close", func(p *Printer) { p.Close(); p.Write([]byte("x")) }},
		{"close twice", func(p *Printer) { p.Close(); p.Close() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{TB: t}
			p := New(r)
			tt.do(p)
			if len(r.errs) == 0 {
				t.Error("misuse went unreported")
			}
			if len(p.Writes()) != 0 {
				t.Errorf("bytes accepted: %q", p.Writes())
			}
		})
	}
}

func TestStatusAndWrites(t *testing.T) {
	p := New(t)
	s, err := printer.QueryStatus(p, time.Second)
	if err != nil || s != (printer.Status{}) {
		t.Fatalf("ready printer: %+v, %v", s, err)
	}
	p.Set(func(p *Printer) { p.PaperOut = true })
	if s, err := printer.QueryStatus(p, time.Second); err != nil || !s.PaperOut {
		t.Fatalf("paper out: %+v, %v", s, err)
	}
	p.Set(func(p *Printer) { p.PaperOut, p.NoReply = false, true })
	if _, err := printer.QueryStatus(p, time.Second); !errors.Is(err, printer.ErrNoReply) {
		t.Fatalf("no reply: %v", err)
	}
	cable := errors.New("cable")
	p.Set(func(p *Printer) { p.WriteErr = cable })
	if _, err := p.Write([]byte("lost")); !errors.Is(err, cable) {
		t.Fatalf("Write = %v", err)
	}
	p.Set(func(p *Printer) { p.WriteErr = nil })
	p.Write([]byte("a"))
	p.Write([]byte("b"))
	if got := p.Writes(); len(got) != 2 || string(got[0]) != "a" || string(got[1]) != "b" {
		t.Errorf("Writes() = %q", got)
	}
	// 3 + 3 answered, then QueryStatus gives up after the first silence.
	if p.Queries() != 7 {
		t.Errorf("Queries() = %d, want 7", p.Queries())
	}
}
