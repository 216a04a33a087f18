package outputs

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/printer"
	"github.com/qrstand/qrstand/printer/printertest"
)

func TestTransportPrinterPaperOut(t *testing.T) {
	fake := printertest.New(t)
	opens := 0
	p := &TransportPrinter{Open: func(context.Context) (printer.Transport, error) {
		opens++
		return fake, nil
	}, StatusTimeout: 50 * time.Millisecond}
	defer p.Close()
	ctx := context.Background()
	if err := p.Print(ctx, []byte("one")); err != nil {
		t.Fatal(err)
	}
	fake.Set(func(f *printertest.Printer) { f.PaperOut = true })
	if err := p.Print(ctx, []byte("two")); !errors.Is(err, printer.ErrPaperOut) {
		t.Fatalf("Print with paper out = %v, want ErrPaperOut", err)
	}
	if p.Paper() != mqtt.PaperOut {
		t.Errorf("Paper() = %q, want out", p.Paper())
	}
	fake.Set(func(f *printertest.Printer) { f.PaperOut = false; f.PaperNearEnd = true })
	if err := p.Print(ctx, []byte("two")); err != nil {
		t.Fatal(err)
	}
	if p.Paper() != mqtt.PaperNearEnd {
		t.Errorf("Paper() = %q, want near_end", p.Paper())
	}
	fake.Set(func(f *printertest.Printer) { f.NoReply = true })
	if err := p.Print(ctx, []byte("three")); err != nil {
		t.Fatalf("a printer without status replies is printed to anyway: %v", err)
	}
	var got []string
	for _, w := range fake.Writes() {
		got = append(got, string(w))
	}
	if len(got) != 3 || got[0] != "one" || got[1] != "two" || got[2] != "three" {
		t.Errorf("writes = %q, want one two three", got)
	}
	if opens != 1 {
		t.Errorf("opened %d times, want 1", opens)
	}
}

func TestTransportPrinterReopensAfterWriteError(t *testing.T) {
	first, second := printertest.New(t), printertest.New(t)
	trs := []*printertest.Printer{first, second}
	p := &TransportPrinter{Open: func(context.Context) (printer.Transport, error) {
		tr := trs[0]
		trs = trs[1:]
		return tr, nil
	}, StatusTimeout: 50 * time.Millisecond}
	defer p.Close()
	first.Set(func(f *printertest.Printer) { f.WriteErr = errors.New("cable pulled") })
	if err := p.Print(context.Background(), []byte("x")); err == nil {
		t.Fatal("write error not reported")
	}
	if err := p.Print(context.Background(), []byte("x")); err != nil {
		t.Fatalf("after reopening: %v", err)
	}
	if n := len(second.Writes()); n != 1 {
		t.Errorf("%d writes on the reopened transport, want 1", n)
	}
}
