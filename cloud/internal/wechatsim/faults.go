package wechatsim

import "time"

// Faults are the misbehaviours the simulator can be told to show. Counts
// are consumed as they are used; flags stay until changed. The zero value
// is a well-behaved WeChat.
type Faults struct {
	// Notify faults, applied to every notify sent while set.

	// DuplicateNotifies resends a notify this many more times, one after the
	// other, after the receiver first acknowledged it.
	DuplicateNotifies int `json:"duplicate_notifies,omitempty"`
	// ConcurrentNotifies sends the first delivery of a notify as this many
	// identical requests at once.
	ConcurrentNotifies int `json:"concurrent_notifies,omitempty"`
	// SignTestProbe sends a copy signed with a WECHATPAY/SIGNTEST/ signature
	// before the real one.
	SignTestProbe bool `json:"signtest_probe,omitempty"`
	// StaleTimestamp signs the first delivery with a timestamp 10 min old.
	StaleTimestamp bool `json:"stale_timestamp,omitempty"`
	// WrongSerial names another key in Wechatpay-Serial on the first delivery.
	WrongSerial bool `json:"wrong_serial,omitempty"`
	// TamperCiphertext flips a byte of the ciphertext of the first delivery
	// (and signs the tampered body, so only decryption can catch it).
	TamperCiphertext bool `json:"tamper_ciphertext,omitempty"`
	// BadNonce gives the first delivery a 13-byte GCM nonce (signed).
	BadNonce bool `json:"bad_nonce,omitempty"`
	// SuppressNotify sends no notify at all; only a query finds the payment.
	SuppressNotify bool `json:"suppress_notify,omitempty"`
	// MismatchAmountFen is added to amount.total and payer_total in
	// TRANSACTION notifies (a well-signed notify that disagrees with the
	// order; queries still tell the truth).
	MismatchAmountFen int64 `json:"mismatch_amount_fen,omitempty"`
	// MismatchSubMchID replaces sub_mchid in notifies when not empty.
	MismatchSubMchID string `json:"mismatch_sub_mchid,omitempty"`

	// API faults, consumed one per authenticated API request.

	// APIErrors answers the next this many requests with APIErrorStatus
	// (default 500 SYSTEM_ERROR) without doing anything.
	APIErrors      int `json:"api_errors,omitempty"`
	APIErrorStatus int `json:"api_error_status,omitempty"`
	// SlowAnswers does the work of the next this many requests, then waits
	// SlowAnswerDelay (real time) before answering, so a client times out
	// without knowing the outcome.
	SlowAnswers     int           `json:"slow_answers,omitempty"`
	SlowAnswerDelay time.Duration `json:"slow_answer_delay,omitempty"`
	// BadResponseSignatures signs the next this many 2xx answers with a
	// WECHATPAY/SIGNTEST/ signature (the work is done); 4xx answers do not
	// count.
	BadResponseSignatures int `json:"bad_response_signatures,omitempty"`
}

// SetFaults replaces the current faults.
func (s *Server) SetFaults(f Faults) {
	s.init()
	s.mu.Lock()
	s.faults = f
	s.mu.Unlock()
}

// Faults returns the current faults, counts as left.
func (s *Server) Faults() Faults {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}

type apiFault struct {
	status int
	delay  time.Duration
}

func (s *Server) takeAPIFault() apiFault {
	s.mu.Lock()
	defer s.mu.Unlock()
	var a apiFault
	f := &s.faults
	if f.APIErrors > 0 {
		f.APIErrors--
		a.status = f.APIErrorStatus
		if a.status == 0 {
			a.status = 500
		}
		return a
	}
	if f.SlowAnswers > 0 {
		f.SlowAnswers--
		a.delay = f.SlowAnswerDelay
		if a.delay <= 0 {
			a.delay = 30 * time.Second
		}
	}
	return a
}

// takeBadSignature consumes one BadResponseSignatures for a 2xx answer.
func (s *Server) takeBadSignature() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.faults.BadResponseSignatures > 0 {
		s.faults.BadResponseSignatures--
		return true
	}
	return false
}
