package mqtt

import (
	"errors"
	"fmt"
)

// Sentinel errors a receiver branches on with errors.Is. Every decode
// failure is a *DecodeError that wraps exactly one of them.
var (
	// ErrMalformed: the payload is not a JSON envelope of the right shape.
	ErrMalformed = errors.New("mqtt: malformed message")
	// ErrUnsupportedVersion: the envelope's v is not one this code speaks.
	ErrUnsupportedVersion = errors.New("mqtt: unsupported envelope version")
	// ErrUnknownType: the envelope's type names no known message kind.
	ErrUnknownType = errors.New("mqtt: unknown message type")
	// ErrInvalid: the body decoded but breaks a rule of its kind.
	ErrInvalid = errors.New("mqtt: invalid message")
)

// DecodeError says why a payload was refused. ID and Type are filled in when
// the envelope got far enough to have them, so a receiver can still answer
// with a rejecting ack.
type DecodeError struct {
	ID   string
	Type Kind
	Err  error // one of the sentinels, possibly wrapping detail
}

func (e *DecodeError) Error() string {
	switch {
	case e.ID != "" && e.Type != "":
		return fmt.Sprintf("%v (id %s, type %s)", e.Err, e.ID, e.Type)
	case e.ID != "":
		return fmt.Sprintf("%v (id %s)", e.Err, e.ID)
	}
	return e.Err.Error()
}

func (e *DecodeError) Unwrap() error { return e.Err }

// invalid builds a validation error for a body field.
func invalid(kind Kind, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalid, kind, fmt.Sprintf(format, args...))
}
