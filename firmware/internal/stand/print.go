package stand

import (
	"context"
	"fmt"

	"github.com/qrstand/qrstand/firmware/internal/journal"
	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/printer"
)

// ReprintLabel marks a printed copy that may be a second one.
const ReprintLabel = "补打"

func (s *Stand) storeName() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.store != nil {
		return s.store.StoreName
	}
	return ""
}

// printSettings returns whether receipts are printed, the copies, and
// whether the order QR is printed.
func (s *Stand) printSettings() (bool, int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.store == nil {
		return true, 1, true
	}
	p := s.store.Print
	copies := p.Copies
	if copies < 1 {
		copies = 1
	}
	return p.Enabled, copies, p.OrderQR
}

// printDoc encodes doc for the configured profile and prints it copies
// times.
func (s *Stand) printDoc(ctx context.Context, doc printer.Document, copies int) error {
	job, err := printer.Encode(doc, s.cfg.Profile)
	if err != nil {
		return fmt.Errorf("stand: encode receipt: %w", err)
	}
	for i := 0; i < copies; i++ {
		if err := s.d.Printer.Print(ctx, job); err != nil {
			return err
		}
	}
	return nil
}

func paymentDoc(b *mqtt.PaymentPaid, store string, qr, reprint bool) printer.Payment {
	if store == "" {
		store = b.StoreName
	}
	p := printer.Payment{
		Store: store, Channel: printer.Channel(b.Channel), AmountFen: b.AmountFen, PaidAt: b.PaidAt,
		OrderNo: b.OrderNo, TransactionID: b.TransactionID, Payer: b.Payer, Clerk: b.Clerk, Remark: b.Remark, Reprint: reprint,
	}
	if qr {
		p.OrderURL = b.OrderURL
	}
	return p
}

// printEvent prints the receipt of one journaled event.
func (s *Stand) printEvent(ctx context.Context, m mqtt.Message, reprint bool) error {
	on, copies, qr := s.printSettings()
	store := s.storeName()
	switch b := m.Body.(type) {
	case *mqtt.PaymentPaid:
		if !on {
			return nil
		}
		return s.printDoc(ctx, paymentDoc(b, store, qr, reprint), copies)
	case *mqtt.PaymentRefunded:
		if !on {
			return nil
		}
		if store == "" {
			store = b.StoreName
		}
		return s.printDoc(ctx, printer.Refund{
			Store: store, Channel: printer.Channel(b.Channel), AmountFen: b.RefundFen, OrderAmountFen: b.AmountFen,
			RefundedAt: b.RefundedAt, OrderNo: b.OrderNo, RefundNo: b.RefundNo, Operator: b.Operator,
			Reason: b.Reason, Reprint: reprint,
		}, 1)
	case *mqtt.ShiftClosed:
		// The handover slip prints even when payment receipts are off.
		if store == "" {
			store = b.StoreName
		}
		return s.printDoc(ctx, printer.Shift{
			Store: store, Clerk: b.Clerk, Start: b.Start, End: b.End, Count: int(b.Count), TotalFen: b.TotalFen,
			RefundCount: int(b.RefundCount), RefundFen: b.RefundFen, PrintedAt: s.now(), Reprint: reprint,
		}, 1)
	}
	return nil
}

// printCatchUp prints one list for a batch of stale payments. printer.CatchUp
// has no reprint flag yet, so a reprinted list carries 补打 in its title line.
func (s *Stand) printCatchUp(ctx context.Context, evs []journal.Event, reprint bool) error {
	on, _, _ := s.printSettings()
	if !on {
		return nil
	}
	store := s.storeName()
	doc := printer.CatchUp{PrintedAt: s.now()}
	for _, e := range evs {
		m, err := e.Message()
		if err != nil {
			continue
		}
		b, ok := m.Body.(*mqtt.PaymentPaid)
		if !ok {
			continue
		}
		if store == "" {
			store = b.StoreName
		}
		doc.Payments = append(doc.Payments, printer.CatchUpPayment{
			PaidAt: b.PaidAt, Channel: printer.Channel(b.Channel), AmountFen: b.AmountFen, OrderNo: b.OrderNo,
		})
	}
	doc.Store = store
	if reprint {
		doc.Store = "【" + ReprintLabel + "】" + store
	}
	if len(doc.Payments) == 0 {
		return nil
	}
	return s.printDoc(ctx, doc, 1)
}

// PrintTestPage prints the test page.
func (s *Stand) PrintTestPage(ctx context.Context) error {
	s.mu.Lock()
	var url string
	if s.store != nil {
		url = s.store.QRURL
	}
	s.mu.Unlock()
	return s.printDoc(ctx, printer.TestPage{
		Store: s.storeName(), Device: s.cfg.DeviceID, Firmware: s.cfg.Firmware, PrintedAt: s.now(), QRURL: url,
	}, 1)
}

// Reprint prints the payment with event id (empty: the last payment) again,
// labelled 补打.
func (s *Stand) Reprint(ctx context.Context, id string) error {
	var e journal.Event
	var err error
	if id == "" {
		e, err = s.d.Journal.Last(ctx, mqtt.KindPaymentPaid, mqtt.KindPaymentRefunded)
	} else {
		e, err = s.d.Journal.Get(ctx, id)
	}
	if err != nil {
		return fmt.Errorf("stand: reprint: %w", err)
	}
	m, err := e.Message()
	if err != nil {
		return fmt.Errorf("stand: reprint: %w", err)
	}
	_, _, qr := s.printSettings()
	switch b := m.Body.(type) {
	case *mqtt.PaymentPaid:
		return s.printDoc(ctx, paymentDoc(b, s.storeName(), qr, true), 1)
	default:
		return s.printEvent(ctx, m, true)
	}
}

// PrintToday prints today's totals (Asia/Shanghai) from the local journal.
func (s *Stand) PrintToday(ctx context.Context) error {
	now := s.now()
	t, err := s.d.Journal.DayTotals(ctx, now)
	if err != nil {
		return err
	}
	doc := printer.DailySummary{Store: s.storeName(), Day: now, RefundCount: int(t.RefundCount), RefundFen: t.RefundFen, PrintedAt: now}
	for _, ch := range []string{mqtt.ChannelWeChat, mqtt.ChannelAlipay} {
		if v, ok := t.ByChannel[ch]; ok {
			doc.Channels = append(doc.Channels, printer.ChannelTotal{Channel: printer.Channel(ch), Count: int(v[0]), TotalFen: v[1]})
		}
	}
	return s.printDoc(ctx, doc, 1)
}
