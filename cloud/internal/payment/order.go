package payment

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/money"
	"github.com/qrstand/qrstand/cloud/internal/wxpay"
	"github.com/qrstand/qrstand/mqtt"
)

// MaxRemark bounds the payer's remark, in characters.
const MaxRemark = 40

// CreateInput is what the pay page posts.
type CreateInput struct {
	Store       model.Store
	Clerk       model.Staff // set when paid through a clerk's code
	Amount      string      // yuan as typed
	Remark      string
	PayerOpenID string // sp_openid from OAuth
	// PayerAppID is the official account PayerOpenID came from. When set,
	// it must be the pay account's sp_appid: an openid is only meaningful
	// under its own AppID (ErrPayerAppID otherwise).
	PayerAppID string
}

// Created is a placed order and the parameters for getBrandWCPayRequest.
type Created struct {
	Order  model.Order
	Prepay wxpay.PrepayResult
}

// NewOutTradeNo returns a fresh out_trade_no: "Q" and a ULID (27 of
// [0-9A-Z], inside WeChat's 6..32 of [0-9A-Za-z_-|*]), unique and
// roughly time-ordered.
func NewOutTradeNo() string { return "Q" + mqtt.NewID(time.Now()) }

// Limit is the store's largest single payment in fen.
func (s *Service) Limit(ctx context.Context, storeID string) (int64, error) {
	fen, err := s.st.StoreLimit(ctx, storeID)
	if err != nil {
		return 0, err
	}
	if fen <= 0 {
		fen = s.cfg.DefaultLimitFen
	}
	return fen, nil
}

// Create parses the amount (an error wrapping *money.InputError carries the
// message for the payer), records a NOTPAY order and places it with WeChat.
// A prepay whose outcome is unknown is retried once with the same
// out_trade_no (WeChat answers the same prepay_id).
func (s *Service) Create(ctx context.Context, in CreateInput) (Created, error) {
	limit, err := s.Limit(ctx, in.Store.ID)
	if err != nil {
		return Created{}, err
	}
	fen, err := money.ParseYuan(in.Amount, limit)
	if err != nil {
		return Created{}, err
	}
	remark := strings.TrimSpace(in.Remark)
	if utf8.RuneCountInString(remark) > MaxRemark {
		remark = string([]rune(remark)[:MaxRemark])
	}
	m, err := s.st.Merchant(ctx, in.Store.MerchantID)
	if err != nil {
		return Created{}, err
	}
	acct, err := s.cfg.Accounts(ctx, m.ProviderID)
	if err != nil {
		return Created{}, fmt.Errorf("%w: %v", ErrNoAccount, err)
	}
	if in.PayerAppID != "" && in.PayerAppID != acct.SpAppID {
		return Created{}, fmt.Errorf("%w: payer of %s, sp_appid %s (provider %s)", ErrPayerAppID, in.PayerAppID, acct.SpAppID, m.ProviderID)
	}
	now := s.cfg.Now().UTC()
	o := model.Order{
		OutTradeNo: NewOutTradeNo(), StoreID: in.Store.ID, MerchantID: m.ID, ProviderID: m.ProviderID,
		SpMchID: acct.SpMchID, SubMchID: m.SubMchID, ClerkID: in.Clerk.ID, AmountFen: fen, Remark: remark,
		PayerOpenID: in.PayerOpenID, State: model.OrderNotPay, CreatedAt: now, TimeExpire: now.Add(s.cfg.OrderTTL),
	}
	if err := s.st.CreateOrder(ctx, o); err != nil {
		return Created{}, err
	}
	req := wxpay.PrepayRequest{
		SubMchID: o.SubMchID, OutTradeNo: o.OutTradeNo, AmountFen: fen, SpOpenID: in.PayerOpenID,
		Description: description(in.Store.Name), TimeExpire: o.TimeExpire,
	}
	res, err := acct.Client.Prepay(ctx, req)
	if errors.Is(err, wxpay.ErrOutcomeUnknown) {
		s.cfg.Log.Warn("payment: prepay outcome unknown; retrying with the same out_trade_no", "order", o.OutTradeNo, "err", err)
		res, err = acct.Client.Prepay(ctx, req)
	}
	if err != nil {
		return Created{Order: o}, fmt.Errorf("payment: prepay %s: %w", o.OutTradeNo, err)
	}
	if err := s.st.SetPrepayID(ctx, o.OutTradeNo, res.PrepayID); err != nil {
		return Created{Order: o}, err
	}
	o.PrepayID = res.PrepayID
	s.cfg.Log.Info("payment: order placed", "order", o.OutTradeNo, "store", o.StoreID, "fen", fen)
	return Created{Order: o, Prepay: res}, nil
}

// description is what the payer's bill shows: ≤ 127 characters.
func description(store string) string {
	d := store + "-扫码付款"
	if r := []rune(d); len(r) > 120 {
		d = string(r[:120])
	}
	return d
}
