package ui

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/storage"
	"github.com/qrstand/qrstand/cloud/internal/urls"
	"github.com/qrstand/qrstand/cloud/internal/wxauth"
)

// Config configures the pages.
type Config struct {
	// BaseURL is the external URL QR codes point at, e.g.
	// "https://pay.example.com". Required.
	BaseURL string
	// CodeTTL is how long an activation code works. Default 7 days.
	CodeTTL time.Duration
	// SessionTTL is how long a login lasts. Default 12 hours.
	SessionTTL time.Duration
	// PairCodeTTL is how long a stand's pairing code works. Default 15 min.
	PairCodeTTL time.Duration
	// Login is the console login limiter's policy (see
	// storage.LoginPolicy). Zero: storage.DefaultLoginPolicy.
	Login storage.LoginPolicy
	// Sandbox shows a banner on every page: payments go to the simulator.
	Sandbox bool
	// StandBroker is the broker URL written into a stand's provisioning
	// file (what stands dial, e.g. ssl://mqtt.example.com:8883).
	StandBroker string
}

func (c *Config) defaults() error {
	if c.BaseURL == "" {
		return errors.New("ui: BaseURL required")
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("ui: BaseURL must be an absolute http(s) URL")
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.CodeTTL == 0 {
		c.CodeTTL = 7 * 24 * time.Hour
	}
	if c.SessionTTL == 0 {
		c.SessionTTL = 12 * time.Hour
	}
	if c.PairCodeTTL == 0 {
		c.PairCodeTTL = 15 * time.Minute
	}
	if c.Login == (storage.LoginPolicy{}) {
		c.Login = storage.DefaultLoginPolicy
	}
	return nil
}

// StandNotifier is told about changes stands must show; the broker wiring
// republishes store.config. Calls must not block for long.
type StandNotifier interface {
	// StoreChanged: a store's name, QR URL or announce/print settings changed.
	StoreChanged(ctx context.Context, storeID string)
	// StandPaired: a stand was bound to a store or unbound from it.
	StandPaired(ctx context.Context, standID string)
}

type noNotifier struct{}

func (noNotifier) StoreChanged(context.Context, string) {}
func (noNotifier) StandPaired(context.Context, string)  {}

// Handler serves the pages.
type Handler struct {
	cfg    Config
	st     *storage.Storage
	oauth  *wxauth.OAuth
	log    *slog.Logger
	now    func() time.Time
	views  *engine
	urls   urls.Builder
	stands StandNotifier
	secure bool
	pay    PayOptions
	mux    *http.ServeMux

	credHooks []CredentialHook
}

// Options are New's optional collaborators, built before the pages.
type Options struct {
	Log    *slog.Logger
	Now    func() time.Time
	Stands StandNotifier
	// Pay enables the pay pages; the zero value leaves them off.
	Pay PayOptions
	// CredentialHooks are told about re-keyed and revoked stands.
	CredentialHooks []CredentialHook
}

// New parses every template and returns the handler.
func New(cfg Config, st *storage.Storage, oauth *wxauth.OAuth, opts Options) (*Handler, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	views, err := newEngine()
	if err != nil {
		return nil, err
	}
	h := &Handler{cfg: cfg, st: st, oauth: oauth, log: opts.Log, now: opts.Now, views: views, urls: urls.New(cfg.BaseURL),
		stands: opts.Stands, pay: opts.Pay, credHooks: opts.CredentialHooks, secure: strings.HasPrefix(cfg.BaseURL, "https://")}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.stands == nil {
		h.stands = noNotifier{}
	}
	h.mux = http.NewServeMux()
	h.routes(h.mux)
	return h, nil
}

// Handler returns the pages with CSRF protection.
func (h *Handler) Handler() http.Handler {
	return h.crossOrigin(h.csrf(h.mux))
}

// Route is the route pattern r matches, e.g. "GET /s/{token}": what logs
// and metrics may name, never the path (paths carry tokens). "unmatched"
// when no route matches.
func (h *Handler) Route(r *http.Request) string {
	if r.Method == http.MethodConnect {
		return "unmatched" // the mux would answer with the raw path
	}
	if _, p := h.mux.Handler(r); p != "" {
		return p
	}
	return "unmatched"
}

func (h *Handler) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", h.homeShow)
	// Console.
	mux.HandleFunc("GET /console/login", h.consoleLoginShow)
	mux.HandleFunc("POST /console/login", h.consoleLoginSubmit)
	mux.HandleFunc("POST /console/logout", h.consoleLogout)
	mux.HandleFunc("GET /console", h.consoleHome)
	mux.HandleFunc("POST /console/providers", h.providerCreate)
	mux.HandleFunc("GET /console/settings", h.providerSettingsShow)
	mux.HandleFunc("POST /console/settings", h.providerSettingsSave)
	mux.HandleFunc("POST /console/merchants", h.merchantCreate)
	mux.HandleFunc("GET /console/merchants/{id}", h.consoleMerchantShow)
	mux.HandleFunc("POST /console/merchants/{id}/admins", h.consoleAdminCreate)
	mux.HandleFunc("POST /console/staff/{id}/code", h.consoleCodeRenew)
	mux.HandleFunc("GET /console/plates", h.plateList)
	mux.HandleFunc("POST /console/plates", h.plateCreate)
	// QR images and printable cards (only for URLs of this service).
	mux.HandleFunc("GET /qr.png", h.qrPNG)
	mux.HandleFunc("GET /card", h.cardShow)
	// WeChat identity.
	mux.HandleFunc("GET /auth/wechat", h.wechatLogin)
	mux.HandleFunc("GET /auth/wechat/callback", h.wechatCallback)
	mux.HandleFunc("POST /auth/logout", h.wechatLogout)
	// Activation and management.
	mux.HandleFunc("GET /activate/{role}/{scope}/{token}", h.activationShow)
	mux.HandleFunc("POST /activate/{role}/{scope}/{token}", h.activationSubmit)
	mux.HandleFunc("GET /m/{token}", h.manageCodeLanding)
	mux.HandleFunc("GET /merchant/{id}", h.merchantShow)
	mux.HandleFunc("POST /merchant/{id}/stores", h.storeCreate)
	mux.HandleFunc("POST /merchant/{id}/admins", h.merchantAdminCreate)
	mux.HandleFunc("GET /store/{id}", h.storeShow)
	mux.HandleFunc("POST /store/{id}/staff", h.staffCreate)
	mux.HandleFunc("POST /store/{id}/settings", h.storeSettingsSave)
	mux.HandleFunc("GET /staff/{id}/code", h.staffCodeShow)
	mux.HandleFunc("POST /staff/{id}/code", h.staffCodeRenew)
	mux.HandleFunc("POST /staff/{id}/remove", h.staffRemove)
	mux.HandleFunc("POST /staff/{id}/refund", h.staffRefundSet)
	mux.HandleFunc("GET /pair", h.pairShow)
	mux.HandleFunc("POST /pair", h.pairSubmit)
	mux.HandleFunc("POST /stand/{id}/unpair", h.standUnpair)
	mux.HandleFunc("GET /clerk/{id}", h.clerkShow)
	mux.HandleFunc("POST /clerk/{id}/clockin", h.clockIn)
	mux.HandleFunc("POST /clerk/{id}/clockout", h.clockOut)
	mux.HandleFunc("POST /clerk/{id}/notify", h.notifySet)
	// Codes customers and staff scan.
	mux.HandleFunc("GET /s/{token}", h.storeLanding)
	mux.HandleFunc("GET /c/{token}", h.clerkCodeLanding)
	mux.HandleFunc("GET /p/{token}", h.plateLanding)
	mux.HandleFunc("POST /p/{token}", h.plateBind)
	h.payRoutes(mux)
	h.fleetRoutes(mux)
	h.storeOpsRoutes(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { h.notFound(w, r) })
}
