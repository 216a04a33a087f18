package ui

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// A login under way is carried by the browser, not stored, so that
// starting one (GET /auth/wechat, open to anyone) writes nothing:
//
//   - the state WeChat passes back holds a version, the expiry, a random
//     nonce and a MAC;
//   - the qrs_oauth cookie holds the same state, a dot, and the pending
//     login (provider, its AppID, where to go next), which does not fit in
//     WeChat's state (at most 128 bytes of [a-zA-Z0-9]).
//
// The MAC, under a key derived from the deployment's secret key that
// every cloud node shares, covers the state's fields and the pending
// login, so neither can be changed or swapped for another login's. The
// callback wants the query's state equal to the cookie's (this browser's
// login), a valid MAC and an unexpired state; the nonce is recorded as used
// once the code exchange has succeeded (storage.UseOAuthState), so only
// real logins write a row.

// oauthStatePurpose names the MAC key (storage.Sign) of login states.
const oauthStatePurpose = "ui: wechat login state v1"

const (
	stateVersion  = 1
	stateNonceLen = 15
	stateMACLen   = 16
	stateHeadLen  = 1 + 8 + stateNonceLen // version, expiry (Unix seconds), nonce
	// stateLen is 40 bytes: 64 base32 characters, with no padding bits
	// that would let two strings decode alike.
	stateLen = stateHeadLen + stateMACLen
	// maxPendingText bounds the cookie's pending login (base64 of at most
	// 1+255+1+255+2048 bytes: safeNext keeps next to 2048).
	maxPendingText = 3500
)

// stateEncoding is base32 in lower case: WeChat passes back a state of
// [a-zA-Z0-9] only (网页授权 doc: "a-zA-Z0-9的参数值，最多128字节").
var stateEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Why a state is refused (all answer "登录已过期").
var (
	errStateBrowser   = errors.New("ui: login state is not this browser's")
	errStateMalformed = errors.New("ui: login state malformed")
	errStateForged    = errors.New("ui: login state MAC mismatch")
	errStateExpired   = errors.New("ui: login state expired")
)

// pendingLogin is what a login under way must come back with: the
// browser carries it but cannot change it.
type pendingLogin struct {
	Provider string // whose official account ("" for the deployment's)
	AppID    string // that account's AppID when the login started
	Next     string
}

// encode lays p out as a length byte and the provider, a length byte and
// the AppID, then next.
func (p pendingLogin) encode() ([]byte, error) {
	if len(p.Provider) > 255 || len(p.AppID) > 255 {
		return nil, errors.New("ui: login state: provider or AppID too long")
	}
	b := make([]byte, 0, 2+len(p.Provider)+len(p.AppID)+len(p.Next))
	b = append(append(b, byte(len(p.Provider))), p.Provider...)
	b = append(append(b, byte(len(p.AppID))), p.AppID...)
	return append(b, p.Next...), nil
}

func decodePending(b []byte) (pendingLogin, error) {
	var fields [2]string
	for i := range fields {
		if len(b) < 1 || len(b) < 1+int(b[0]) {
			return pendingLogin{}, errStateMalformed
		}
		fields[i], b = string(b[1:1+int(b[0])]), b[1+int(b[0]):]
	}
	return pendingLogin{Provider: fields[0], AppID: fields[1], Next: string(b)}, nil
}

// openedLogin is a login state that passed every check.
type openedLogin struct {
	nonce   string // hex, what storage.UseOAuthState records
	expires time.Time
	pending pendingLogin
}

// loginStates issues and opens login states; sign MACs under the key all
// cloud nodes share (storage.Sign).
type loginStates struct {
	sign  func(msg []byte) []byte
	nonce io.Reader // where nonces come from: crypto/rand when nil (tests fix it)
}

func (h *Handler) loginStates() loginStates {
	return loginStates{sign: func(msg []byte) []byte { return h.st.Sign(oauthStatePurpose, msg) }}
}

func (ls loginStates) mac(head, pending []byte) []byte {
	msg := make([]byte, 0, len(head)+len(pending))
	return ls.sign(append(append(msg, head...), pending...))[:stateMACLen]
}

// issue makes the state for WeChat and the cookie for the browser of a
// login that expires oauthTTL after now.
func (ls loginStates) issue(p pendingLogin, now time.Time) (state, cookie string, err error) {
	pending, err := p.encode()
	if err != nil {
		return "", "", err
	}
	raw := make([]byte, stateLen)
	raw[0] = stateVersion
	binary.BigEndian.PutUint64(raw[1:9], uint64(now.Add(oauthTTL).Unix()))
	if ls.nonce == nil {
		rand.Read(raw[9:stateHeadLen]) // never fails (Go 1.24+)
	} else if _, err := io.ReadFull(ls.nonce, raw[9:stateHeadLen]); err != nil {
		return "", "", fmt.Errorf("ui: login state nonce: %w", err)
	}
	copy(raw[stateHeadLen:], ls.mac(raw[:stateHeadLen], pending))
	state = stateEncoding.EncodeToString(raw)
	return state, state + "." + base64.RawURLEncoding.EncodeToString(pending), nil
}

// open checks the state WeChat passed back against the browser's cookie:
// the same state, in its one canonical spelling, with a MAC that covers
// the pending login, and not expired at now.
func (ls loginStates) open(state, cookie string, now time.Time) (openedLogin, error) {
	cookieState, pendingText, ok := strings.Cut(cookie, ".")
	if !ok || state == "" || subtle.ConstantTimeCompare([]byte(cookieState), []byte(state)) != 1 {
		return openedLogin{}, errStateBrowser
	}
	raw, err := stateEncoding.DecodeString(state)
	if err != nil || len(raw) != stateLen || raw[0] != stateVersion || stateEncoding.EncodeToString(raw) != state {
		return openedLogin{}, errStateMalformed
	}
	if len(pendingText) > maxPendingText {
		return openedLogin{}, errStateMalformed
	}
	pending, err := base64.RawURLEncoding.Strict().DecodeString(pendingText)
	if err != nil || base64.RawURLEncoding.EncodeToString(pending) != pendingText {
		return openedLogin{}, errStateMalformed
	}
	if !hmac.Equal(raw[stateHeadLen:], ls.mac(raw[:stateHeadLen], pending)) {
		return openedLogin{}, errStateForged
	}
	expires := time.Unix(int64(binary.BigEndian.Uint64(raw[1:9])), 0).UTC()
	if !now.Before(expires) {
		return openedLogin{}, errStateExpired
	}
	p, err := decodePending(pending)
	if err != nil {
		return openedLogin{}, err
	}
	return openedLogin{nonce: hex.EncodeToString(raw[9:stateHeadLen]), expires: expires, pending: p}, nil
}
