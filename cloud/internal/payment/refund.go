package payment

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/authz"
	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/storage"
	"github.com/qrstand/qrstand/cloud/internal/wxpay"
	"github.com/qrstand/qrstand/mqtt"
)

// NewOutRefundNo returns a fresh out_refund_no. The refund form carries one
// from when it was shown, so a double submit is the same refund.
func NewOutRefundNo() string { return "R" + mqtt.NewID(time.Now()) }

// RefundInput asks for a (partial) refund.
type RefundInput struct {
	OutTradeNo  string
	OutRefundNo string // idempotency key; required
	AmountFen   int64
	Reason      string
}

// Refunder returns the role through which roles may refund orders of st:
// an active manager of the store or admin of its merchant holding the
// refund permission. A clerk never refunds, even with a stray can_refund.
func Refunder(roles authz.Roles, st model.Store) (model.Staff, bool) {
	for _, r := range roles {
		if !r.Active() || !r.CanRefund {
			continue
		}
		if (r.Role == model.RoleAdmin && r.MerchantID == st.MerchantID) || (r.Role == model.RoleManager && r.StoreID == st.ID) {
			return r, true
		}
	}
	return model.Staff{}, false
}

// Refund refunds part or all of a paid order on behalf of roles. It is
// idempotent by OutRefundNo: concurrent and repeated calls with the same
// number make one refund. More than what is left is storage.ErrOverRefund,
// an unpaid order storage.ErrNotPaid, a malformed number ErrRefundNo (all
// the caller's mistakes, to be answered 4xx); a caller without the refund
// permission gets ErrForbidden.
func (s *Service) Refund(ctx context.Context, roles authz.Roles, in RefundInput) (model.Refund, error) {
	o, err := s.st.Order(ctx, in.OutTradeNo)
	if err != nil {
		return model.Refund{}, err
	}
	st, err := s.st.Store(ctx, o.StoreID)
	if err != nil {
		return model.Refund{}, err
	}
	op, ok := Refunder(roles, st)
	if !ok {
		return model.Refund{}, ErrForbidden
	}
	if !validRefundNo(in.OutRefundNo) {
		return model.Refund{}, ErrRefundNo
	}
	r, created, err := s.st.BeginRefund(ctx, model.Refund{OutRefundNo: in.OutRefundNo, OutTradeNo: o.OutTradeNo, AmountFen: in.AmountFen,
		OperatorID: op.ID, Reason: in.Reason, CreatedAt: s.cfg.Now().UTC()})
	if err != nil {
		return r, err
	}
	if !created && r.State != model.RefundPending {
		return r, nil // already sent to WeChat (or settled)
	}
	s.cfg.Log.Info("payment: refund requested", "order", o.OutTradeNo, "refund", r.OutRefundNo, "fen", r.AmountFen, "by", op.ID)
	return s.sendRefund(ctx, o, r)
}

// sendRefund asks WeChat (again) for a recorded refund: the same
// out_refund_no never refunds twice there.
func (s *Service) sendRefund(ctx context.Context, o model.Order, r model.Refund) (model.Refund, error) {
	acct, err := s.cfg.Accounts(ctx, o.ProviderID)
	if err != nil {
		return r, fmt.Errorf("%w: %v", ErrNoAccount, err)
	}
	res, err := acct.Client.Refund(ctx, wxpay.RefundRequest{SubMchID: o.SubMchID, OutTradeNo: o.OutTradeNo, OutRefundNo: r.OutRefundNo,
		RefundFen: r.AmountFen, TotalFen: o.AmountFen, Reason: r.Reason})
	switch {
	case errors.Is(err, wxpay.ErrOutcomeUnknown):
		// Stays PENDING; the reconciler asks again with the same number.
		s.cfg.Log.Warn("payment: refund outcome unknown", "refund", r.OutRefundNo, "err", err)
		return r, nil
	case err != nil:
		var apiErr *wxpay.APIError
		if errors.As(err, &apiErr) {
			s.refunds.WithLabelValues("failed").Inc()
			_ = s.st.SetRefundState(ctx, r.OutRefundNo, model.RefundFailed, "", apiErr.Code+": "+apiErr.Message)
			r.State = model.RefundFailed
		}
		return r, fmt.Errorf("payment: refund %s: %w", r.OutRefundNo, err)
	}
	return s.applyRefundResult(ctx, r, res.Status, res.RefundID, res.SuccessTime)
}

func (s *Service) applyRefundResult(ctx context.Context, r model.Refund, status, refundID string, at time.Time) (model.Refund, error) {
	switch status {
	case wxpay.RefundSuccess:
		if at.IsZero() {
			at = s.cfg.Now()
		}
		ev, err := s.refundedEvent(ctx, r.StoreID, r.OperatorID)
		if err != nil {
			return r, err
		}
		nr, changed, err := s.st.MarkRefunded(ctx, r.OutRefundNo, refundID, at, s.cfg.Now(), ev)
		if err != nil {
			return r, err
		}
		if changed {
			s.cfg.AfterCommit()
			s.refunds.WithLabelValues("success").Inc()
			s.cfg.Log.Info("payment: refunded", "refund", r.OutRefundNo, "fen", r.AmountFen)
		}
		return nr, nil
	case "CLOSED", "ABNORMAL":
		s.refunds.WithLabelValues("failed").Inc()
		if err := s.st.SetRefundState(ctx, r.OutRefundNo, model.RefundFailed, refundID, "WeChat: "+status); err != nil {
			return r, err
		}
		r.State = model.RefundFailed
		return r, nil
	default: // PROCESSING
		if err := s.st.SetRefundState(ctx, r.OutRefundNo, model.RefundProcessing, refundID, ""); err != nil {
			return r, err
		}
		r.State = model.RefundProcessing
		return r, nil
	}
}

// applyRefundNotice handles REFUND.* notifies after cross-checking them.
func (s *Service) applyRefundNotice(ctx context.Context, n wxpay.RefundNotice) error {
	r, err := s.st.Refund(ctx, n.OutRefundNo)
	if errors.Is(err, storage.ErrNotFound) {
		s.alert("refund notify for an unknown refund", "refund", n.OutRefundNo, "order", n.OutTradeNo)
		return fmt.Errorf("%w: %w", wxpay.ErrRejectNotify, ErrUnknown)
	}
	if err != nil {
		return err
	}
	o, err := s.st.Order(ctx, r.OutTradeNo)
	if err != nil {
		return err
	}
	if n.SpMchID != o.SpMchID || n.SubMchID != o.SubMchID || n.OutTradeNo != o.OutTradeNo || n.Amount.Refund != r.AmountFen {
		s.alert("refund notify does not match our refund; rejected", "refund", r.OutRefundNo, "order", o.OutTradeNo,
			"sub_mchid", n.SubMchID, "want_sub_mchid", o.SubMchID, "refund_fen", n.Amount.Refund, "want_refund_fen", r.AmountFen)
		return fmt.Errorf("%w: %w", wxpay.ErrRejectNotify, ErrMismatch)
	}
	at, _ := time.Parse(time.RFC3339, n.SuccessTime)
	_, err = s.applyRefundResult(ctx, r, n.RefundStatus, n.RefundID, at)
	return err
}

// validRefundNo: WeChat's out_refund_no is 1..64 characters of
// [0-9A-Za-z_|*@-]; anything else would only fail there, as a 502.
func validRefundNo(no string) bool {
	if no == "" || len(no) > 64 {
		return false
	}
	for i := 0; i < len(no); i++ {
		c := no[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || strings.IndexByte("_-|*@", c) >= 0) {
			return false
		}
	}
	return true
}
