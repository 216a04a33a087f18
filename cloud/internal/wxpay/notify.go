package wxpay

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/wechatpay-apiv3/wechatpay-go/core/auth"
	"github.com/wechatpay-apiv3/wechatpay-go/core/notify"
	"github.com/wechatpay-apiv3/wechatpay-go/services/partnerpayments"
)

// maxNotifyBody bounds a notify body; real ones are about 1 KB.
const maxNotifyBody = 64 << 10

// Notify is a verified, decrypted notification.
type Notify struct {
	ID           string // WeChat's notify id; the same across resends
	EventType    string // TRANSACTION.SUCCESS, REFUND.SUCCESS, REFUND.ABNORMAL, REFUND.CLOSED
	Summary      string
	OriginalType string // "transaction" or "refund"
	CreateTime   time.Time
	// Transaction is set for TRANSACTION.* events. Cross-check SpMchID,
	// SubMchID, OutTradeNo and AmountFen against the order: the signature
	// proves WeChat sent it, not that it matches what we asked for.
	Transaction *Transaction
	// Refund is set for REFUND.* events.
	Refund *RefundNotice
}

// RefundNotice is the decrypted resource of a REFUND.* notify (the SDK has
// no model for it).
type RefundNotice struct {
	SpMchID             string `json:"sp_mchid"`
	SubMchID            string `json:"sub_mchid"`
	TransactionID       string `json:"transaction_id"`
	OutTradeNo          string `json:"out_trade_no"`
	RefundID            string `json:"refund_id"`
	OutRefundNo         string `json:"out_refund_no"`
	RefundStatus        string `json:"refund_status"`
	UserReceivedAccount string `json:"user_received_account"`
	SuccessTime         string `json:"success_time"`
	Amount              struct {
		Total       int64 `json:"total"`
		Refund      int64 `json:"refund"`
		PayerTotal  int64 `json:"payer_total"`
		PayerRefund int64 `json:"payer_refund"`
	} `json:"amount"`
}

// probingVerifier wraps the SDK's verifier and records, in a per-request
// state carried by the context, whether the signature verified. The SDK
// formats its errors with %v, so this is how a signature failure (4xx) is
// told apart from a decryption failure after a good signature.
type probingVerifier struct{ inner auth.Verifier }

type probeKey struct{}

type probeState struct{ verified bool }

func (p *probingVerifier) Verify(ctx context.Context, serial, message, signature string) error {
	err := p.inner.Verify(ctx, serial, message, signature)
	if st, ok := ctx.Value(probeKey{}).(*probeState); ok {
		st.verified = err == nil
	}
	return err
}

func (p *probingVerifier) GetSerial(ctx context.Context) (string, error) {
	return p.inner.GetSerial(ctx)
}

// ParseNotify verifies and decrypts a notify request through the SDK's
// notify handler. Errors wrap ErrBadSignature (incl. ErrSignTest) or
// ErrBadNotify; a panic inside the SDK (a 13-byte GCM nonce) is recovered
// and reported as ErrBadNotify.
func (c *Client) ParseNotify(r *http.Request) (Notify, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxNotifyBody+1))
	if err != nil {
		return Notify{}, fmt.Errorf("%w: read body: %w", ErrBadNotify, err)
	}
	if len(body) > maxNotifyBody {
		return Notify{}, fmt.Errorf("%w: body over %d bytes", ErrBadNotify, maxNotifyBody)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))

	st := &probeState{}
	ctx := context.WithValue(r.Context(), probeKey{}, st)
	var plain json.RawMessage
	req, err := c.parseRecovering(ctx, r, &plain)
	if err != nil {
		if !st.verified {
			if strings.HasPrefix(r.Header.Get("Wechatpay-Signature"), "WECHATPAY/SIGNTEST/") {
				return Notify{}, ErrSignTest
			}
			return Notify{}, fmt.Errorf("%w: %s", ErrBadSignature, sdkReason(err))
		}
		return Notify{}, fmt.Errorf("%w: %s", ErrBadNotify, sdkReason(err))
	}
	n := Notify{ID: req.ID, EventType: req.EventType, Summary: req.Summary}
	if req.CreateTime != nil {
		n.CreateTime = req.CreateTime.UTC()
	}
	if req.Resource != nil {
		n.OriginalType = req.Resource.OriginalType
	}
	switch {
	case strings.HasPrefix(n.EventType, "TRANSACTION."):
		var t partnerpayments.Transaction
		if err := json.Unmarshal(plain, &t); err != nil {
			return Notify{}, fmt.Errorf("%w: transaction: %w", ErrBadNotify, err)
		}
		tx := fromSDK(&t)
		n.Transaction = &tx
	case strings.HasPrefix(n.EventType, "REFUND."):
		var rn RefundNotice
		if err := json.Unmarshal(plain, &rn); err != nil {
			return Notify{}, fmt.Errorf("%w: refund: %w", ErrBadNotify, err)
		}
		n.Refund = &rn
	default:
		return Notify{}, fmt.Errorf("%w: unknown event_type %q", ErrBadNotify, n.EventType)
	}
	return n, nil
}

func (c *Client) parseRecovering(ctx context.Context, r *http.Request, content any) (req *notify.Request, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in SDK notify handler: %v", p)
		}
	}()
	nr, err := c.notify.ParseNotifyRequest(ctx, r, content)
	if err != nil {
		return nil, err
	}
	return nr, nil
}

// sdkReason trims the SDK's error, which embeds the whole request
// (%+v), to its first clause for logs.
func sdkReason(err error) string {
	s := err.Error()
	if i := strings.Index(s, ", request: "); i >= 0 {
		s = s[:i]
	}
	if len(s) > 300 {
		s = s[:300]
	}
	return s
}
