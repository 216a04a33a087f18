package payment

import (
	"context"
	"errors"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/wxpay"
)

// Reconciled counts what one reconciliation pass did.
type Reconciled struct {
	Queried, Paid, Closed, Refunds, Errors int
}

// Reconcile resolves what notifies did not: every NOTPAY order older than
// queryAfter is queried (paid → SUCCESS with its outbox rows; past its
// time_expire → closed at WeChat, then here); every PENDING refund is sent
// again with its own out_refund_no and every PROCESSING refund is queried.
// Each order and refund is claimed for queryAfter, so several cloud nodes
// reconciling at once split the work instead of each asking WeChat about
// everything.
func (s *Service) Reconcile(ctx context.Context, queryAfter time.Duration) (Reconciled, error) {
	var rep Reconciled
	now := s.cfg.Now()
	orders, err := s.st.ClaimUnpaidOrders(ctx, now, now.Add(-queryAfter), queryAfter, 200)
	if err != nil {
		return rep, err
	}
	for _, o := range orders {
		if ctx.Err() != nil {
			return rep, ctx.Err()
		}
		paid, closed, err := s.reconcileOrder(ctx, o, now)
		rep.Queried++
		if paid {
			rep.Paid++
		}
		if closed {
			rep.Closed++
		}
		if err != nil {
			rep.Errors++
			s.cfg.Log.Warn("payment: reconcile order", "order", o.OutTradeNo, "err", err)
		}
	}
	refunds, err := s.st.ClaimUnsettledRefunds(ctx, now, now.Add(-queryAfter), queryAfter, 200)
	if err != nil {
		return rep, err
	}
	for _, r := range refunds {
		if ctx.Err() != nil {
			return rep, ctx.Err()
		}
		rep.Refunds++
		if err := s.reconcileRefund(ctx, r); err != nil {
			rep.Errors++
			s.cfg.Log.Warn("payment: reconcile refund", "refund", r.OutRefundNo, "err", err)
		}
	}
	return rep, nil
}

func (s *Service) reconcileOrder(ctx context.Context, o model.Order, now time.Time) (paid, closed bool, err error) {
	acct, err := s.cfg.Accounts(ctx, o.ProviderID)
	if err != nil {
		return false, false, err
	}
	expired := !now.Before(o.TimeExpire)
	tx, err := acct.Client.QueryByOutTradeNo(ctx, o.SubMchID, o.OutTradeNo)
	switch {
	case errors.Is(err, wxpay.ErrOrderNotExist):
		// Never reached WeChat (prepay failed): nothing can pay it.
		if expired {
			closed, err = s.st.CloseOrder(ctx, o.OutTradeNo, now)
		}
		return false, closed, err
	case err != nil:
		return false, false, err
	}
	switch tx.TradeState {
	case wxpay.TradeSuccess, wxpay.TradeRefund, wxpay.TradeClosed, wxpay.TradeRevoked:
		changed, err := s.ApplyTransaction(ctx, tx, "query")
		isPaid := tx.TradeState == wxpay.TradeSuccess || tx.TradeState == wxpay.TradeRefund
		return changed && isPaid, changed && !isPaid, err
	}
	if !expired {
		return false, false, nil
	}
	err = acct.Client.Close(ctx, o.SubMchID, o.OutTradeNo)
	switch {
	case errors.Is(err, wxpay.ErrOrderPaid):
		// Paid at the last moment: take it from a fresh query.
		tx, err := acct.Client.QueryByOutTradeNo(ctx, o.SubMchID, o.OutTradeNo)
		if err != nil {
			return false, false, err
		}
		changed, err := s.ApplyTransaction(ctx, tx, "query")
		return changed, false, err
	case err != nil && !errors.Is(err, wxpay.ErrOrderClosed):
		return false, false, err
	}
	closed, err = s.st.CloseOrder(ctx, o.OutTradeNo, now)
	if closed {
		s.cfg.Log.Info("payment: expired order closed", "order", o.OutTradeNo)
	}
	return false, closed, err
}

func (s *Service) reconcileRefund(ctx context.Context, r model.Refund) error {
	o, err := s.st.Order(ctx, r.OutTradeNo)
	if err != nil {
		return err
	}
	if r.State == model.RefundPending {
		_, err := s.sendRefund(ctx, o, r)
		return err
	}
	acct, err := s.cfg.Accounts(ctx, o.ProviderID)
	if err != nil {
		return err
	}
	res, err := acct.Client.QueryRefund(ctx, o.SubMchID, r.OutRefundNo)
	if err != nil {
		return err
	}
	_, err = s.applyRefundResult(ctx, r, res.Status, res.RefundID, res.SuccessTime)
	return err
}

// RunReconciler reconciles every interval until ctx is done.
func (s *Service) RunReconciler(ctx context.Context, interval, queryAfter time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		rep, err := s.Reconcile(ctx, queryAfter)
		if err != nil && ctx.Err() == nil {
			s.cfg.Log.Error("payment: reconcile", "err", err)
		} else if rep.Paid+rep.Closed+rep.Errors > 0 {
			s.cfg.Log.Info("payment: reconciled", "queried", rep.Queried, "paid", rep.Paid, "closed", rep.Closed, "refunds", rep.Refunds, "errors", rep.Errors)
		}
	}
}

// Sync asks WeChat about one unpaid order now (the result page, when the
// pay sheet said ok before the notify arrived) and returns the order as it
// then stands.
func (s *Service) Sync(ctx context.Context, outTradeNo string) (model.Order, error) {
	o, err := s.st.Order(ctx, outTradeNo)
	if err != nil || o.State != model.OrderNotPay {
		return o, err
	}
	acct, err := s.cfg.Accounts(ctx, o.ProviderID)
	if err != nil {
		return o, err
	}
	tx, err := acct.Client.QueryByOutTradeNo(ctx, o.SubMchID, o.OutTradeNo)
	if err != nil {
		return o, err
	}
	if _, err := s.ApplyTransaction(ctx, tx, "query"); err != nil {
		return o, err
	}
	return s.st.Order(ctx, outTradeNo)
}
