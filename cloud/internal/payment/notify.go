package payment

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/storage"
	"github.com/qrstand/qrstand/cloud/internal/wxpay"
)

// HandleNotify is the wxpay.NotifyFunc of the notify endpoint. It is
// idempotent: a duplicate (sequential or concurrent) changes nothing and is
// acknowledged. A notify that disagrees with our order is rejected
// (wxpay.ErrRejectNotify → 400) and logged at Error level as an alert.
func (s *Service) HandleNotify(ctx context.Context, n wxpay.Notify) error {
	start := time.Now()
	defer func() { s.notifyDur.Observe(time.Since(start).Seconds()) }()
	switch {
	case n.Transaction != nil:
		if n.EventType != "TRANSACTION.SUCCESS" {
			s.cfg.Log.Info("payment: transaction notify ignored", "event", n.EventType, "order", n.Transaction.OutTradeNo)
			return nil
		}
		_, err := s.ApplyTransaction(ctx, *n.Transaction, "notify")
		if errors.Is(err, ErrMismatch) || errors.Is(err, ErrUnknown) {
			return fmt.Errorf("%w: %w", wxpay.ErrRejectNotify, err)
		}
		return err
	case n.Refund != nil:
		return s.applyRefundNotice(ctx, *n.Refund)
	}
	s.cfg.Log.Warn("payment: notify without resource ignored", "event", n.EventType, "id", n.ID)
	return nil
}

// alert logs a notify that must not be acted on.
func (s *Service) alert(msg string, args ...any) {
	s.mismatch.Inc()
	s.cfg.Log.Error("payment: ALERT "+msg, args...)
}

// ApplyTransaction acts on what WeChat reports about an order (a notify or
// a query): SUCCESS (and REFUND) move the order to SUCCESS once; CLOSED
// closes it. Everything is cross-checked against our order first.
func (s *Service) ApplyTransaction(ctx context.Context, tx wxpay.Transaction, via string) (changed bool, err error) {
	o, err := s.st.Order(ctx, tx.OutTradeNo)
	if errors.Is(err, storage.ErrNotFound) {
		s.alert("notify or query for an unknown order", "order", tx.OutTradeNo, "sp_mchid", tx.SpMchID, "sub_mchid", tx.SubMchID, "via", via)
		return false, fmt.Errorf("%w %q", ErrUnknown, tx.OutTradeNo)
	}
	if err != nil {
		return false, err
	}
	if tx.SpMchID != o.SpMchID || tx.SubMchID != o.SubMchID || tx.AmountFen != o.AmountFen {
		s.alert("transaction does not match our order; rejected", "order", o.OutTradeNo, "via", via,
			"sp_mchid", tx.SpMchID, "want_sp_mchid", o.SpMchID, "sub_mchid", tx.SubMchID, "want_sub_mchid", o.SubMchID,
			"amount_fen", tx.AmountFen, "want_amount_fen", o.AmountFen, "transaction_id", tx.TransactionID)
		return false, fmt.Errorf("%w: order %s", ErrMismatch, o.OutTradeNo)
	}
	switch tx.TradeState {
	case wxpay.TradeSuccess, wxpay.TradeRefund:
		return s.markPaid(ctx, o, tx, via)
	case wxpay.TradeClosed, wxpay.TradeRevoked:
		return s.st.CloseOrder(ctx, o.OutTradeNo, s.cfg.Now())
	}
	return false, nil
}

func (s *Service) markPaid(ctx context.Context, o model.Order, tx wxpay.Transaction, via string) (bool, error) {
	if o.Paid() {
		return false, nil // the common duplicate: no write at all
	}
	if o.State == model.OrderClosed {
		// We only close after WeChat closed it (or never knew it), so
		// this should not happen; if it does, money was taken for an
		// order we will not announce: a person must look.
		s.alert("WeChat reports a closed order as paid", "order", o.OutTradeNo, "via", via, "transaction_id", tx.TransactionID)
		return false, nil
	}
	now := s.cfg.Now().UTC()
	paidAt := tx.SuccessTime
	if paidAt.IsZero() {
		paidAt = now
	}
	p := storage.Paid{OutTradeNo: o.OutTradeNo, TransactionID: tx.TransactionID, PayerOpenID: tx.SpOpenID, PaidAt: paidAt, Via: via, StoreID: o.StoreID}
	duty, err := s.st.OnDuty(ctx, o.StoreID)
	if err != nil {
		return false, err
	}
	p.ShiftID, p.OnDutyID = attribute(duty, o.ClerkID)
	ev, err := s.paidEvents(ctx, o, p, duty)
	if err != nil {
		return false, err
	}
	_, changed, err := s.st.MarkPaid(ctx, p, now, func(o model.Order) (storage.Envelopes, error) { return ev(o) })
	if err != nil {
		return false, err
	}
	if changed {
		s.cfg.AfterCommit()
		s.paid.WithLabelValues(via).Inc()
		s.cfg.Log.Info("payment: paid", "order", o.OutTradeNo, "via", via, "fen", o.AmountFen, "transaction_id", tx.TransactionID)
	}
	return changed, nil
}

// attribute names the shift a payment is credited to in reports by clerk:
// a clerk code's clerk when on duty; for the store code, the one clerk on
// duty. With several on duty a store-code payment belongs to no single
// clerk (each one's 交班单 still counts it; see storage.ShiftSlip).
func attribute(duty []model.Shift, clerkID string) (shiftID, staffID string) {
	for _, sh := range duty {
		if clerkID != "" && sh.StaffID == clerkID {
			return sh.ID, sh.StaffID
		}
	}
	if clerkID == "" && len(duty) == 1 {
		return duty[0].ID, duty[0].StaffID
	}
	return "", ""
}
