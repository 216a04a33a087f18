package payment

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/storage"
	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/biz"
)

// TemplateMessage is the body of POST /cgi-bin/message/template/send.
type TemplateMessage struct {
	ToUser      string                   `json:"touser"`
	TemplateID  string                   `json:"template_id"`
	URL         string                   `json:"url,omitempty"`
	ClientMsgID string                   `json:"client_msg_id,omitempty"`
	Data        map[string]TemplateValue `json:"data"`
}

// TemplateValue is one template field.
type TemplateValue struct {
	Value string `json:"value"`
}

// MaskOpenID shows the first 3 and last 3 characters: "o8x…3kQ".
func MaskOpenID(id string) string {
	if len(id) <= 8 {
		return ""
	}
	return id[:3] + "…" + id[len(id)-3:]
}

// paidEvents prepares (outside the transaction) what the paid transition
// writes: payment.paid for the stands and one template per staff member to
// tell — store code: the on-duty clerks who opted in (or all who opted in
// when the store says so); clerk code: that clerk (see
// storage.NotifyRecipients).
func (s *Service) paidEvents(ctx context.Context, o model.Order, p storage.Paid, duty []model.Shift) (func(model.Order) (storage.Envelopes, error), error) {
	st, err := s.st.Store(ctx, o.StoreID)
	if err != nil {
		return nil, err
	}
	var codeName, clerkName string
	if o.ClerkID != "" {
		if c, err := s.st.Staff(ctx, o.ClerkID); err == nil {
			codeName, clerkName = "店员码 "+c.Name, c.Name
		}
	} else {
		codeName = "门店码"
	}
	if clerkName == "" && p.OnDutyID != "" {
		if c, err := s.st.Staff(ctx, p.OnDutyID); err == nil {
			clerkName = c.Name
		}
	}
	recipients, err := s.st.NotifyRecipientsAt(ctx, st, duty, o.ClerkID)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return nil, err
	}
	return func(o model.Order) (storage.Envelopes, error) {
		body := &mqtt.PaymentPaid{
			OrderNo: o.OutTradeNo, TransactionID: o.TransactionID, Channel: mqtt.ChannelWeChat, AmountFen: o.AmountFen,
			PaidAt: o.PaidAt.UTC(), StoreID: st.ID, StoreName: st.Name, CodeName: codeName, Clerk: clerkName,
			Payer: MaskOpenID(o.PayerOpenID), Remark: o.Remark, OrderURL: s.cfg.BaseURL + "/o/" + o.OutTradeNo,
		}
		env := storage.Envelopes{Stand: body}
		for _, r := range recipients {
			msg := TemplateMessage{
				ToUser: r.OpenID, TemplateID: s.cfg.TemplatePaid, URL: body.OrderURL,
				Data: map[string]TemplateValue{
					"amount1": {biz.FormatFen(o.AmountFen) + "元"},
					"thing2":  {st.Name},
					"time3":   {o.PaidAt.In(biz.Zone).Format("2006-01-02 15:04:05")},
					"thing4":  {codeName},
					"thing5":  {o.Remark},
				},
			}
			// One message per order and person: the id is stable, so WeChat
			// drops a repeat even if our row is sent twice.
			msg.ClientMsgID = "P" + o.OutTradeNo + "-" + r.ID
			b, err := json.Marshal(msg)
			if err != nil {
				return env, err
			}
			env.Templates = append(env.Templates, storage.Template{ID: msg.ClientMsgID, ToOpenID: r.OpenID, ProviderID: o.ProviderID, Payload: b})
		}
		return env, nil
	}, nil
}

// refundedEvent is the payment.refunded body for the stands.
func (s *Service) refundedEvent(ctx context.Context, storeID, operatorID string) (func(o model.Order, r model.Refund) (storage.Envelopes, error), error) {
	st, err := s.st.Store(ctx, storeID)
	if err != nil {
		return nil, err
	}
	var operator string
	if operatorID != "" {
		if sf, err := s.st.Staff(ctx, operatorID); err == nil {
			operator = sf.Name
		}
	}
	return func(o model.Order, r model.Refund) (storage.Envelopes, error) {
		return storage.Envelopes{Stand: &mqtt.PaymentRefunded{
			OrderNo: o.OutTradeNo, RefundNo: r.OutRefundNo, Channel: mqtt.ChannelWeChat, AmountFen: o.AmountFen,
			RefundFen: r.AmountFen, RefundedTotalFen: o.RefundedFen, RefundedAt: r.SucceededAt.UTC(),
			StoreID: st.ID, StoreName: st.Name, Operator: operator, Reason: r.Reason,
		}}, nil
	}, nil
}
