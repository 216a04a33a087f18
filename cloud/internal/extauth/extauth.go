package extauth

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/qrstand/qrstand/mqtt"
)

// StandLookup returns the stored hash of a stand's secret (mqtt.HashSecret
// form); "" or an error for an unknown stand.
type StandLookup func(ctx context.Context, id string) (string, error)

// Config configures a Handler.
type Config struct {
	// Stands looks up stand secrets. Required.
	Stands StandLookup
	// ServiceUser and ServiceSecretHash are the cloud nodes' own identity;
	// a node connects with client id ServiceUser or ServiceUser-<node>.
	// Required.
	ServiceUser, ServiceSecretHash string
	// Token is the bearer token EMQX sends (the Authorization header in
	// the documented config). Required: these endpoints decide who may
	// speak for a stand.
	Token string
	// Timeout bounds one decision, database included. Default 2 s, below
	// EMQX's request_timeout (5 s for authentication).
	Timeout time.Duration
	Log     *slog.Logger
}

// Handler serves EMQX's HTTP authentication and authorization calls.
type Handler struct {
	cfg Config
}

// New returns a Handler.
func New(cfg Config) (*Handler, error) {
	if cfg.Stands == nil || cfg.ServiceUser == "" || cfg.ServiceSecretHash == "" || cfg.Token == "" {
		return nil, errors.New("extauth: Stands, ServiceUser, ServiceSecretHash and Token are required")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 2 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Handler{cfg: cfg}, nil
}

// maxBody bounds a request: EMQX's rendered templates are a few hundred
// bytes; a password or topic near MQTT's limits is refused, not buffered.
const maxBody = 8 << 10

// Result is an EMQX decision.
type Result string

// The decisions this service gives. "ignore" is never answered: it would
// hand the decision to the next authenticator or source.
const (
	Allow Result = "allow"
	Deny  Result = "deny"
)

// AuthnRequest is the body EMQX renders from the documented authentication
// template.
type AuthnRequest struct {
	ClientID string `json:"clientid"`
	Username string `json:"username"`
	Password string `json:"password"`
	PeerHost string `json:"peerhost"`
}

// AuthnResponse is the documented answer to an authentication call.
type AuthnResponse struct {
	Result      Result `json:"result"`
	IsSuperuser bool   `json:"is_superuser"`
}

// AuthzRequest is the body EMQX renders from the documented authorization
// template. EMQX renders every placeholder as a JSON string, so qos and
// retain arrive as "1" and "true".
type AuthzRequest struct {
	ClientID string `json:"clientid"`
	Username string `json:"username"`
	Action   string `json:"action"` // "publish" or "subscribe"
	Topic    string `json:"topic"`
	QoS      string `json:"qos"`
	Retain   string `json:"retain"`
}

// AuthzResponse is the documented answer to an authorization call.
type AuthzResponse struct {
	Result Result `json:"result"`
}

// ErrMalformed is returned by the decoders for a body that is not the
// documented shape.
var ErrMalformed = errors.New("extauth: malformed request")

// DecodeAuthn parses an authentication body strictly.
func DecodeAuthn(r io.Reader) (AuthnRequest, error) {
	var req AuthnRequest
	if err := decode(r, &req); err != nil {
		return req, err
	}
	if req.ClientID == "" || req.Username == "" {
		return req, fmt.Errorf("%w: clientid and username required", ErrMalformed)
	}
	return req, nil
}

// DecodeAuthz parses an authorization body strictly.
func DecodeAuthz(r io.Reader) (AuthzRequest, error) {
	var req AuthzRequest
	if err := decode(r, &req); err != nil {
		return req, err
	}
	switch {
	case req.ClientID == "" || req.Username == "" || req.Topic == "":
		return req, fmt.Errorf("%w: clientid, username and topic required", ErrMalformed)
	case req.Action != "publish" && req.Action != "subscribe":
		return req, fmt.Errorf("%w: action %q", ErrMalformed, req.Action)
	}
	return req, nil
}

func decode(r io.Reader, v any) error {
	dec := json.NewDecoder(io.LimitReader(r, maxBody+1))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: trailing data", ErrMalformed)
	}
	return nil
}

// authorized checks the bearer token EMQX was configured with.
func (h *Handler) authorized(r *http.Request) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(h.cfg.Token)) == 1
}

func (h *Handler) isService(user, clientID string) bool {
	return user == h.cfg.ServiceUser && (clientID == user || strings.HasPrefix(clientID, user+"-"))
}

// Authenticate answers EMQX's authentication call (POST, JSON body).
func (h *Handler) Authenticate(w http.ResponseWriter, r *http.Request) {
	if !h.authorized(r) {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	req, err := DecodeAuthn(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		h.cfg.Log.Warn("extauth: authn denied", "reason", "malformed request", "err", err)
		writeJSON(w, AuthnResponse{Result: Deny})
		return
	}
	res, reason := h.authenticate(r.Context(), req)
	if res != Allow {
		h.cfg.Log.Warn("extauth: authn denied", "client", req.ClientID, "user", req.Username, "peer", req.PeerHost, "reason", reason)
	}
	writeJSON(w, AuthnResponse{Result: res})
}

func (h *Handler) authenticate(ctx context.Context, req AuthnRequest) (Result, string) {
	if req.Username == h.cfg.ServiceUser {
		if !h.isService(req.Username, req.ClientID) {
			return Deny, "service client id must be the service user or start with it and '-'"
		}
		if !mqtt.CheckSecret(h.cfg.ServiceSecretHash, req.Password) {
			return Deny, "bad service secret"
		}
		return Allow, ""
	}
	if req.ClientID != req.Username {
		return Deny, "client id must equal username"
	}
	if !mqtt.ValidDeviceID(req.Username) {
		return Deny, "username is not a valid device id"
	}
	ctx, cancel := context.WithTimeout(ctx, h.cfg.Timeout)
	defer cancel()
	type answer struct {
		hash string
		err  error
	}
	// The lookup runs beside the timer so a database that ignores its
	// context still gets a deny in time.
	ch := make(chan answer, 1)
	go func() {
		hash, err := h.cfg.Stands(ctx, req.Username)
		ch <- answer{hash, err}
	}()
	select {
	case a := <-ch:
		switch {
		case a.err != nil:
			return Deny, "lookup failed: " + a.err.Error()
		case !mqtt.CheckSecret(a.hash, req.Password):
			return Deny, "unknown stand or bad secret"
		}
		return Allow, ""
	case <-ctx.Done():
		return Deny, "lookup timed out"
	}
}

// Authorize answers EMQX's authorization call (POST, JSON body).
func (h *Handler) Authorize(w http.ResponseWriter, r *http.Request) {
	if !h.authorized(r) {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	req, err := DecodeAuthz(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		h.cfg.Log.Warn("extauth: authz denied", "reason", "malformed request", "err", err)
		writeJSON(w, AuthzResponse{Result: Deny})
		return
	}
	res := h.authorize(req)
	if res != Allow {
		h.cfg.Log.Warn("extauth: authz denied", "client", req.ClientID, "user", req.Username, "action", req.Action, "topic", req.Topic)
	}
	writeJSON(w, AuthzResponse{Result: res})
}

// authorize applies DESIGN §4. It needs no database: the identity was
// proven at CONNECT, and the rules depend only on it and the topic.
func (h *Handler) authorize(req AuthzRequest) Result {
	publish := req.Action == "publish"
	var ok bool
	switch {
	case h.isService(req.Username, req.ClientID) && publish:
		ok = mqtt.ServiceMayPublish(req.Topic)
	case h.isService(req.Username, req.ClientID):
		ok = mqtt.ServiceMaySubscribe(req.Topic)
	case req.ClientID != req.Username:
		ok = false
	case publish:
		ok = mqtt.StandMayPublish(req.Username, req.Topic)
	default:
		ok = mqtt.StandMaySubscribe(req.Username, req.Topic)
	}
	if ok {
		return Allow
	}
	return Deny
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(v)
}
