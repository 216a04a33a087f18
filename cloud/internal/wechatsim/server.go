package wechatsim

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// DefaultPlatformKeyID is the platform public key id used when
// Server.PlatformKeyID is empty. Real ids look like "PUB_KEY_ID_" + digits.
const DefaultPlatformKeyID = "PUB_KEY_ID_0100000000SIMULATOR0000000001"

// RetrySchedule is WeChat's notify resend schedule after a failed delivery:
// 15s, 15s, 30s, 3m, 10m, 20m, 30m, 30m, 30m, 60m, 3h, 3h, 3h, 6h, 6h
// (24 h 4 min in all).
var RetrySchedule = []time.Duration{
	15 * time.Second, 15 * time.Second, 30 * time.Second, 3 * time.Minute,
	10 * time.Minute, 20 * time.Minute, 30 * time.Minute, 30 * time.Minute,
	30 * time.Minute, 60 * time.Minute, 3 * time.Hour, 3 * time.Hour,
	3 * time.Hour, 6 * time.Hour, 6 * time.Hour,
}

// Merchant is a service provider (服务商) the simulator accepts requests
// from. The simulator never sees the merchant's private key.
type Merchant struct {
	MchID     string         // sp_mchid, e.g. "1900000100"
	Name      string         // shown on the confirm page when no sub-merchant name is known
	SerialNo  string         // serial of the merchant API certificate named in Authorization
	PublicKey *rsa.PublicKey // verifies the merchant's request signatures
	APIv3Key  string         // 32 bytes; encrypts notifies
	// SubMerchants maps sub_mchid → shop name. Empty accepts any sub_mchid.
	SubMerchants map[string]string
	// PlatformKey and PlatformKeyID, when set, are this merchant's own
	// WeChat Pay platform key pair (the public half is what the merchant
	// downloads as pub_key.pem): its responses and notifies are signed
	// with it instead of the Server's, as WeChat keeps one per merchant.
	PlatformKey   *rsa.PrivateKey
	PlatformKeyID string
	// AppIDs are the official accounts bound to the partner account
	// (服务商平台 → AppID账号管理): a prepay's sp_appid must be one of
	// them. Empty accepts any sp_appid.
	AppIDs []string
}

// Server is the simulator. Its exported fields are its configuration; set
// them before the first request and do not change them afterwards (faults
// change through SetFaults). The zero value, given at least one Merchant,
// works.
type Server struct {
	// Merchants the simulator accepts requests from.
	Merchants []Merchant
	// PlatformKey signs responses and notifies. Generated (RSA 2048) on
	// first use when nil.
	PlatformKey *rsa.PrivateKey
	// PlatformKeyID is sent as Wechatpay-Serial. Default DefaultPlatformKeyID.
	PlatformKeyID string
	// Speedup divides every simulated wait (notify retries, refund
	// settlement). Default 1: real time.
	Speedup int64
	// Retry is the notify resend schedule. Default RetrySchedule.
	Retry []time.Duration
	// NotifyTimeout bounds one notify delivery. Default 5s, WeChat's.
	NotifyTimeout time.Duration
	// RefundDelay is how long a refund stays PROCESSING (before Speedup).
	// Default 5s.
	RefundDelay time.Duration
	// HTTPClient delivers notifies. Default: a client with NotifyTimeout.
	HTTPClient *http.Client
	// Now is the clock for timestamps and expiry. Default time.Now.
	Now func() time.Time
	// Log receives one line per request and delivery. Default: discard.
	Log *slog.Logger
	// OfficialAccounts maps appid → secret for /cgi-bin/token. Empty
	// accepts any pair.
	OfficialAccounts map[string]string
	// PayerAppID, when set, tells which official account issued an openid
	// (the OAuth simulator's record). A prepay whose payer openid was
	// issued under another AppID than its sp_appid is refused, as WeChat
	// does; an openid it does not know (a test's made-up payer) passes.
	PayerAppID func(openid string) (appID string, known bool)

	// AccountsDir, when set, keeps the partner accounts IssueAccount
	// creates (keys included: this is a simulator) across restarts.
	AccountsDir string

	mchMu  sync.RWMutex
	added  []Merchant // AddMerchant's, after Merchants
	issued []Account

	once   sync.Once
	ctx    context.Context // cancelled by Close; owns every delivery goroutine
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mux    *http.ServeMux

	mu         sync.Mutex
	closed     bool
	busy       int // background goroutines still running
	faults     Faults
	orders     map[string]*order // key: sp_mchid + "/" + out_trade_no
	byTxID     map[string]*order
	byPrepay   map[string]*order
	refunds    map[string]*refund // key: sp_mchid + "/" + out_refund_no
	deliveries []Delivery
	changed    chan struct{}     // closed and replaced whenever deliveries grow
	tokens     map[string]string // access_token → appid
	messages   []TemplateMessage
	msgByID    map[string]int64 // appid/client_msg_id → msgid
	seq        int64
}

func (s *Server) init() {
	s.once.Do(func() {
		if s.PlatformKey == nil {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(fmt.Sprintf("wechatsim: generate platform key: %v", err))
			}
			s.PlatformKey = k
		}
		if s.PlatformKeyID == "" {
			s.PlatformKeyID = DefaultPlatformKeyID
		}
		if s.Speedup <= 0 {
			s.Speedup = 1
		}
		if s.Retry == nil {
			s.Retry = RetrySchedule
		}
		if s.NotifyTimeout <= 0 {
			s.NotifyTimeout = 5 * time.Second
		}
		if s.RefundDelay <= 0 {
			s.RefundDelay = 5 * time.Second
		}
		if s.HTTPClient == nil {
			s.HTTPClient = &http.Client{Timeout: s.NotifyTimeout}
		}
		if s.Now == nil {
			s.Now = time.Now
		}
		if s.Log == nil {
			s.Log = slog.New(slog.DiscardHandler)
		}
		if s.AccountsDir != "" {
			s.loadAccounts()
		}
		s.ctx, s.cancel = context.WithCancel(context.Background())
		s.orders = map[string]*order{}
		s.byTxID = map[string]*order{}
		s.byPrepay = map[string]*order{}
		s.refunds = map[string]*refund{}
		s.changed = make(chan struct{})
		s.tokens = map[string]string{}
		s.msgByID = map[string]int64{}
		s.mux = s.routes()
	})
}

// PlatformPublicKey is the key a merchant configures to verify the
// simulator's responses and notifies (with PlatformKeyID as its id).
func (s *Server) PlatformPublicKey() *rsa.PublicKey {
	s.init()
	return &s.PlatformKey.PublicKey
}

// PlatformPublicKeyID returns the id sent in Wechatpay-Serial.
func (s *Server) PlatformPublicKeyID() string {
	s.init()
	return s.PlatformKeyID
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.init()
	s.mux.ServeHTTP(w, r)
}

// Close stops every pending notify and refund settlement and waits for
// their goroutines. It is idempotent and bounded by the NotifyTimeout of a
// delivery in flight (its request is cancelled).
func (s *Server) Close() error {
	s.init()
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	return nil
}

// goBackground runs f on a goroutine owned by the server, unless closed.
func (s *Server) goBackground(f func(ctx context.Context)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.goBackgroundLocked(f)
}

// goBackgroundLocked is goBackground for a caller holding s.mu.
func (s *Server) goBackgroundLocked(f func(ctx context.Context)) {
	if s.closed {
		return
	}
	s.wg.Add(1)
	s.busy++
	go func() {
		defer s.wg.Done()
		defer func() {
			s.mu.Lock()
			s.busy--
			s.mu.Unlock()
		}()
		f(s.ctx)
	}()
}

// Busy reports how many notify deliveries and refund settlements are still
// running. It is 0 once every resend schedule has ended: a test that sees 0
// knows that nothing more will be sent.
func (s *Server) Busy() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.busy
}

// sleep waits d divided by Speedup, or until the server closes.
func (s *Server) sleep(ctx context.Context, d time.Duration) bool {
	d /= time.Duration(s.Speedup)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (s *Server) merchant(mchID string) (Merchant, bool) {
	for _, m := range s.Merchants {
		if m.MchID == mchID {
			return m, true
		}
	}
	s.mchMu.RLock()
	defer s.mchMu.RUnlock()
	for _, m := range s.added {
		if m.MchID == mchID {
			return m, true
		}
	}
	return Merchant{}, false
}

// AddMerchant lets another service provider in while the simulator runs
// (a provider who entered its own account in the console, in sandbox
// mode). A merchant id already known is replaced.
func (s *Server) AddMerchant(m Merchant) {
	s.mchMu.Lock()
	defer s.mchMu.Unlock()
	for i := range s.added {
		if s.added[i].MchID == m.MchID {
			s.added[i] = m
			return
		}
	}
	s.added = append(s.added, m)
}

// platformFor is the key pair that signs what mchID receives: the
// merchant's own when it has one, the Server's otherwise.
func (s *Server) platformFor(mchID string) (*rsa.PrivateKey, string) {
	s.init()
	if m, ok := s.merchant(mchID); ok && m.PlatformKey != nil && m.PlatformKeyID != "" {
		return m.PlatformKey, m.PlatformKeyID
	}
	return s.PlatformKey, s.PlatformKeyID
}

func (s *Server) nextSeq() int64 {
	s.seq++
	return s.seq
}

func (s *Server) routes() *http.ServeMux {
	m := http.NewServeMux()
	api := func(h func(w http.ResponseWriter, r *http.Request, c *call)) http.Handler {
		return s.apiHandler(h)
	}
	m.Handle("POST /v3/pay/partner/transactions/jsapi", api(s.handlePrepay))
	m.Handle("GET /v3/pay/partner/transactions/out-trade-no/{no}", api(s.handleQueryByOutTradeNo))
	m.Handle("GET /v3/pay/partner/transactions/id/{id}", api(s.handleQueryByID))
	m.Handle("POST /v3/pay/partner/transactions/out-trade-no/{no}/close", api(s.handleClose))
	m.Handle("POST /v3/refund/domestic/refunds", api(s.handleRefund))
	m.Handle("GET /v3/refund/domestic/refunds/{no}", api(s.handleRefundQuery))
	m.HandleFunc("/v3/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, http.StatusNotFound, "RESOURCE_NOT_EXISTS", "simulator: no such API "+r.Method+" "+r.URL.Path)
	})

	m.HandleFunc("GET /cgi-bin/token", s.handleToken)
	m.HandleFunc("POST /cgi-bin/stable_token", s.handleStableToken)
	m.HandleFunc("POST /cgi-bin/message/template/send", s.handleTemplateSend)

	m.HandleFunc("GET /sim/pay", s.handleConfirmPage)
	m.HandleFunc("POST /sim/pay", s.handleConfirmSubmit)
	m.HandleFunc("GET /sim/{$}", s.handleAdminPage)
	m.HandleFunc("GET /sim/state", s.handleState)
	m.HandleFunc("GET /sim/faults", s.handleGetFaults)
	m.HandleFunc("PUT /sim/faults", s.handlePutFaults)
	m.HandleFunc("POST /sim/orders/{prepay}/pay", s.handleAdminPay)
	m.HandleFunc("GET /sim/messages", s.handleMessages)
	m.HandleFunc("GET /sim/accounts", s.handleAccounts)
	m.HandleFunc("POST /sim/accounts", s.handleIssueAccount)
	return m
}
