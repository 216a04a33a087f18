package money

import (
	"errors"
	"strconv"

	"github.com/qrstand/qrstand/mqtt/biz"
)

// Sentinels that every ParseYuan error wraps; branch with errors.Is. The
// first four are biz's, so a caller may test against either package.
var (
	ErrEmpty       = biz.ErrEmpty
	ErrInvalid     = biz.ErrSyntax
	ErrPrecision   = biz.ErrPrecision
	ErrNotPositive = biz.ErrNotPositive
	// ErrOverLimit: above the caller's limit, or above biz.MaxFen.
	ErrOverLimit = errors.New("money: amount over the limit")
)

// InputError is a rejected amount. Its Error text is for logs; ZH and EN are
// for the person who typed Input and never contain internal detail.
type InputError struct {
	Kind  error  // one of the sentinels above
	Input string // the text as given, before trimming
	ZH    string // message for the user in zh-CN
	EN    string // message for the user in English
}

func newError(kind error, input, zh, en string) *InputError {
	return &InputError{Kind: kind, Input: input, ZH: zh, EN: en}
}

func (e *InputError) Error() string {
	return e.Kind.Error() + ": " + strconv.Quote(e.Input)
}

func (e *InputError) Unwrap() error { return e.Kind }

// Message returns the user message for lang ("zh", "zh-CN", "en"…); zh-CN
// is the default.
func (e *InputError) Message(lang string) string {
	if len(lang) >= 2 && (lang[:2] == "en" || lang[:2] == "EN") {
		return e.EN
	}
	return e.ZH
}
