package payment

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/qrstand/qrstand/cloud/internal/storage"
	"github.com/qrstand/qrstand/cloud/internal/wxpay"
)

// Errors callers branch on.
var (
	ErrForbidden = errors.New("payment: not allowed")
	ErrMismatch  = errors.New("payment: notify does not match the order")
	ErrUnknown   = errors.New("payment: unknown order")
	ErrNoAccount = errors.New("payment: no WeChat Pay account for this provider")
	// ErrPayerAppID: the payer's openid belongs to another official account
	// than the pay account's sp_appid, which WeChat Pay would refuse.
	ErrPayerAppID  = errors.New("payment: the payer's openid is not of the pay account's sp_appid")
	ErrOrderClosed = errors.New("payment: order closed")
	ErrRefundNo    = errors.New("payment: out_refund_no must be 1..64 characters of 0-9 A-Z a-z _ - | * @")
)

// Account is a service provider's WeChat Pay client and its ids.
type Account struct {
	Client  *wxpay.Client
	SpMchID string
	SpAppID string
}

// Config configures a Service.
type Config struct {
	// Accounts returns the WeChat Pay account of a provider. Required.
	Accounts func(ctx context.Context, providerID string) (Account, error)
	// BaseURL is the cloud's external URL (order links in messages). Required.
	BaseURL string
	// OrderTTL is how long an order can be paid (time_expire). Default 10 min.
	OrderTTL time.Duration
	// DefaultLimitFen applies to stores without their own limit.
	// Default 5,000,000 fen (50,000 yuan).
	DefaultLimitFen int64
	// TemplatePaid is the official-account template id of the staff payment
	// message. Default "qrstand-payment" (the simulator takes any id).
	TemplatePaid string
	// AfterCommit, when set, is called after a transaction wrote outbox
	// rows (e.g. to wake the dispatcher). It must not block.
	AfterCommit func()
	// Log receives logs; mismatched notifies are logged at Error level.
	Log *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Validate reports the first problem with c after defaults.
func (c *Config) Validate() error {
	if c.Accounts == nil || c.BaseURL == "" {
		return errors.New("payment: Accounts and BaseURL are required")
	}
	if c.OrderTTL < time.Minute || c.OrderTTL > 2*time.Hour {
		return fmt.Errorf("payment: order TTL %v must be 1m..2h", c.OrderTTL)
	}
	return nil
}

func (c *Config) applyDefaults() {
	if c.OrderTTL == 0 {
		c.OrderTTL = 10 * time.Minute
	}
	if c.DefaultLimitFen == 0 {
		c.DefaultLimitFen = 5_000_000
	}
	if c.TemplatePaid == "" {
		c.TemplatePaid = "qrstand-payment"
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.AfterCommit == nil {
		c.AfterCommit = func() {}
	}
}

// Service is the payment core. It is safe for concurrent use.
type Service struct {
	cfg Config
	st  *storage.Storage

	paid      *prometheus.CounterVec
	mismatch  prometheus.Counter
	notifyDur prometheus.Histogram
	refunds   *prometheus.CounterVec
}

// New returns a Service over st.
func New(cfg Config, st *storage.Storage) (*Service, error) {
	cfg.applyDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Service{
		cfg: cfg, st: st,
		paid: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "qrstand_payment_paid_total",
			Help: "Orders moved to SUCCESS, by how we learnt it (notify, query)."}, []string{"via"}),
		mismatch: prometheus.NewCounter(prometheus.CounterOpts{Name: "qrstand_payment_notify_mismatch_total",
			Help: "Well-signed notifies rejected because they disagree with our order (ALERT)."}),
		notifyDur: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "qrstand_payment_notify_seconds",
			Help: "Time to handle a verified notify.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)}),
		refunds: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "qrstand_payment_refunds_total",
			Help: "Refunds by outcome."}, []string{"state"}),
	}, nil
}

// Collectors are the Service's metrics, for a prometheus registry.
func (s *Service) Collectors() []prometheus.Collector {
	return []prometheus.Collector{s.paid, s.mismatch, s.notifyDur, s.refunds}
}

// MismatchCount is how many notifies were rejected as mismatched (the
// alert metric qrstand_payment_notify_mismatch_total).
func (s *Service) MismatchCount() float64 { return counterValue(s.mismatch) }

// Storage is the storage the service works on.
func (s *Service) Storage() *storage.Storage { return s.st }
