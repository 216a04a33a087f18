package wxpay

import (
	"errors"
	"fmt"
)

// Sentinels callers branch on with errors.Is.
var (
	// ErrOutcomeUnknown: the request may have taken effect. Query, or retry
	// with the same out_trade_no / out_refund_no.
	ErrOutcomeUnknown = errors.New("wxpay: outcome unknown")
	// ErrBadResponseSignature: a 2xx answer did not verify (always wrapped
	// together with ErrOutcomeUnknown).
	ErrBadResponseSignature = errors.New("wxpay: response signature does not verify")

	// ErrBadSignature: a notify whose headers or signature do not verify
	// (missing headers, stale timestamp, unknown serial, wrong signature).
	// Answer 4xx.
	ErrBadSignature = errors.New("wxpay: notify signature does not verify")
	// ErrSignTest: a WECHATPAY/SIGNTEST/ probe; also matches ErrBadSignature.
	ErrSignTest = fmt.Errorf("%w (WECHATPAY/SIGNTEST probe)", ErrBadSignature)
	// ErrBadNotify: a verified notify whose body cannot be decrypted or
	// decoded. Answer 4xx.
	ErrBadNotify = errors.New("wxpay: notify body cannot be decrypted or decoded")

	// ErrRejectNotify may be wrapped by a NotifyHandler callback to answer
	// 400 instead of 500.
	ErrRejectNotify = errors.New("wxpay: notify rejected by the application")

	// Definite refusals from WeChat, matched by *APIError.Is.
	ErrOrderNotExist = errors.New("wxpay: order does not exist")
	ErrOrderPaid     = errors.New("wxpay: order already paid")
	ErrOrderClosed   = errors.New("wxpay: order closed")
	ErrInvalidReq    = errors.New("wxpay: request refused by business rules")
	ErrSignRejected  = errors.New("wxpay: WeChat rejected our request signature")
)

// APIError is a definite non-2xx answer from WeChat.
type APIError struct {
	Op      string // e.g. "prepay"
	Status  int
	Code    string // WeChat's code, e.g. "ORDER_NOT_EXIST"
	Message string // WeChat's message (Chinese); for logs, not for users
}

func (e *APIError) Error() string {
	return fmt.Sprintf("wxpay: %s: HTTP %d %s: %s", e.Op, e.Status, e.Code, e.Message)
}

// Is maps WeChat codes onto the sentinels.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrOrderNotExist:
		return e.Code == "ORDER_NOT_EXIST" || e.Code == "RESOURCE_NOT_EXISTS"
	case ErrOrderPaid:
		return e.Code == "ORDERPAID"
	case ErrOrderClosed:
		return e.Code == "ORDERCLOSED"
	case ErrInvalidReq:
		return e.Code == "INVALID_REQUEST"
	case ErrSignRejected:
		return e.Code == "SIGN_ERROR"
	case ErrOutcomeUnknown:
		return e.Status >= 500
	}
	return false
}
