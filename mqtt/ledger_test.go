package mqtt

import (
	"errors"
	"testing"
	"time"
)

func TestLedgerValidate(t *testing.T) {
	at := time.Date(2026, 11, 25, 6, 2, 11, 0, time.UTC)
	ok := func() Ledger {
		return Ledger{Ref: exampleID, Event: KindPaymentPaid, JournaledAt: at, Announce: AnnounceSpoken, AnnouncedAt: at,
			Print: PrintPrinted, PrintedAt: at}
	}
	cases := []struct {
		name   string
		change func(*Ledger)
		valid  bool
	}{
		{"spoken and printed", func(*Ledger) {}, true},
		{"catch-up summary, paper out", func(l *Ledger) {
			l.Announce, l.CatchUp, l.Print, l.PrintedAt = AnnounceSummary, true, PrintPaperOut, time.Time{}
		}, true},
		{"muted, receipts off", func(l *Ledger) {
			l.Announce, l.AnnouncedAt, l.Print, l.PrintedAt = AnnounceMuted, time.Time{}, PrintOff, time.Time{}
		}, true},
		{"bad ref", func(l *Ledger) { l.Ref = "x" }, false},
		{"no event", func(l *Ledger) { l.Event = "" }, false},
		{"long order no", func(l *Ledger) { l.OrderNo = string(make([]byte, MaxOrderNo+1)) }, false},
		{"no journaled_at", func(l *Ledger) { l.JournaledAt = time.Time{} }, false},
		{"spoken without time", func(l *Ledger) { l.AnnouncedAt = time.Time{} }, false},
		{"muted with time", func(l *Ledger) { l.Announce = AnnounceMuted }, false},
		{"unknown announce", func(l *Ledger) { l.Announce = "shouted" }, false},
		{"printed without time", func(l *Ledger) { l.PrintedAt = time.Time{} }, false},
		{"paper out with time", func(l *Ledger) { l.Print = PrintPaperOut }, false},
		{"unknown print", func(l *Ledger) { l.Print = "faxed" }, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := ok()
			c.change(&l)
			err := l.Validate()
			if c.valid && err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if !c.valid && !errors.Is(err, ErrInvalid) {
				t.Fatalf("Validate = %v, want ErrInvalid", err)
			}
		})
	}
}
