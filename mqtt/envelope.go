package mqtt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// Version is the envelope version this package writes and reads.
const Version = 1

// MaxPayload bounds what Unmarshal accepts; the largest real message (a
// store.config with long names) is a few KB.
const MaxPayload = 64 << 10

// Message is one decoded envelope: the header fields and a typed body.
type Message struct {
	V    int       // envelope version
	ID   string    // ULID, unique per message
	Type Kind      // the body's kind
	TS   time.Time // creation time, UTC
	Seq  int64     // optional outbox sequence (0 = none)
	// Resent marks an event the stand acknowledged once and has since lost
	// (its hello reported a last_seq below it): it may already have been
	// announced and printed, so the stand prints it labelled 补打 in a
	// catch-up batch and never announces it on its own.
	Resent bool
	Body   Body
}

// New wraps body in a fresh envelope created at now.
func New(body Body, now time.Time) Message {
	return Message{V: Version, ID: NewID(now), Type: body.Kind(), TS: now.UTC(), Body: body}
}

// wireEnvelope is the JSON shape of an envelope.
type wireEnvelope struct {
	V      int             `json:"v"`
	ID     string          `json:"id"`
	Type   Kind            `json:"type"`
	TS     time.Time       `json:"ts"`
	Seq    int64           `json:"seq,omitempty"`
	Resent bool            `json:"resent,omitempty"`
	Body   json.RawMessage `json:"body"`
}

// Marshal validates m and encodes it. It refuses to put an invalid message
// on the wire, so a bug shows up at the sender, not at a stand.
func (m Message) Marshal() ([]byte, error) {
	if m.Body == nil {
		return nil, fmt.Errorf("%w: no body", ErrInvalid)
	}
	if m.Type != m.Body.Kind() {
		return nil, fmt.Errorf("%w: type %q does not match body %q", ErrInvalid, m.Type, m.Body.Kind())
	}
	if m.V != Version {
		return nil, fmt.Errorf("%w: %d", ErrUnsupportedVersion, m.V)
	}
	if !ValidID(m.ID) {
		return nil, fmt.Errorf("%w: id %q is not a ULID", ErrInvalid, m.ID)
	}
	if m.TS.IsZero() {
		return nil, fmt.Errorf("%w: zero ts", ErrInvalid)
	}
	if m.Seq < 0 {
		return nil, fmt.Errorf("%w: negative seq", ErrInvalid)
	}
	if m.Resent && m.Seq == 0 {
		return nil, fmt.Errorf("%w: resent without seq", ErrInvalid)
	}
	if err := m.Body.Validate(); err != nil {
		return nil, err
	}
	body, err := json.Marshal(m.Body)
	if err != nil {
		return nil, fmt.Errorf("mqtt: encode %s body: %w", m.Type, err)
	}
	return json.Marshal(wireEnvelope{V: m.V, ID: m.ID, Type: m.Type, TS: m.TS.UTC(), Seq: m.Seq, Resent: m.Resent, Body: body})
}

// Unmarshal decodes and validates one payload. It never panics; every
// failure is a *DecodeError wrapping ErrMalformed, ErrUnsupportedVersion,
// ErrUnknownType or ErrInvalid. Unknown body fields are ignored (see the
// versioning rules); unknown envelope fields are ignored too.
func Unmarshal(data []byte) (Message, error) {
	if len(data) > MaxPayload {
		return Message{}, &DecodeError{Err: fmt.Errorf("%w: %d bytes, limit %d", ErrMalformed, len(data), MaxPayload)}
	}
	var w wireEnvelope
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&w); err != nil {
		return Message{}, &DecodeError{Err: fmt.Errorf("%w: %v", ErrMalformed, err)}
	}
	if dec.More() {
		return Message{}, &DecodeError{ID: w.ID, Err: fmt.Errorf("%w: trailing data after the envelope", ErrMalformed)}
	}
	if !ValidID(w.ID) {
		return Message{}, &DecodeError{Err: fmt.Errorf("%w: id %q is not a ULID", ErrMalformed, truncate(w.ID))}
	}
	derr := func(err error) (Message, error) { return Message{}, &DecodeError{ID: w.ID, Type: w.Type, Err: err} }
	switch {
	case w.V == 0:
		return derr(fmt.Errorf("%w: missing v", ErrMalformed))
	case w.V != Version:
		return derr(fmt.Errorf("%w: %d", ErrUnsupportedVersion, w.V))
	case w.TS.IsZero():
		return derr(fmt.Errorf("%w: missing ts", ErrMalformed))
	case w.Seq < 0:
		return derr(fmt.Errorf("%w: negative seq", ErrMalformed))
	case w.Resent && w.Seq == 0:
		return derr(fmt.Errorf("%w: resent without seq", ErrMalformed))
	case len(w.Body) == 0 || bytes.Equal(w.Body, []byte("null")):
		return derr(fmt.Errorf("%w: missing body", ErrMalformed))
	}
	newBody, ok := kinds[w.Type]
	if !ok {
		return derr(fmt.Errorf("%w: %q", ErrUnknownType, truncate(string(w.Type))))
	}
	body := newBody()
	if err := json.Unmarshal(w.Body, body); err != nil {
		return derr(fmt.Errorf("%w: %s body: %v", ErrMalformed, w.Type, err))
	}
	if err := body.Validate(); err != nil {
		return derr(err)
	}
	return Message{V: w.V, ID: w.ID, Type: w.Type, TS: w.TS.UTC(), Seq: w.Seq, Resent: w.Resent, Body: body}, nil
}

// truncate keeps hostile input out of log lines at a sane length.
func truncate(s string) string {
	const max = 64
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}
