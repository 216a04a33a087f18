package server

import (
	"context"
	"crypto/rsa"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/qrstand/qrstand/cloud/internal/outbox"
	"github.com/qrstand/qrstand/cloud/internal/payment"
	"github.com/qrstand/qrstand/cloud/internal/ui"
	"github.com/qrstand/qrstand/cloud/internal/wechatsim"
	"github.com/qrstand/qrstand/cloud/internal/wxauth"
	"github.com/qrstand/qrstand/cloud/internal/wxpay"
)

// Sandbox WeChat Pay identity: the service provider the in-process
// simulator knows. Every provider pays through it in sandbox mode.
const (
	SandboxSpMchID  = "1900000001"
	sandboxSerial   = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
	sandboxAPIv3Key = "qrstandsandboxapiv3key0000000001"
)

// payments is the money path of one node.
type payments struct {
	svc        *payment.Service
	client     *wxpay.Client
	wxsim      *wechatsim.Server // sandbox only
	dispatcher *outbox.Dispatcher
	templates  *outbox.OfficialAccounts
	own        *providerAccounts
}

// Payments is the payment service (tests, tools).
func (s *Server) Payments() *payment.Service { return s.pay.svc }

// WeChatPaySim is the in-process WeChat Pay simulator (nil outside sandbox).
func (s *Server) WeChatPaySim() *wechatsim.Server { return s.pay.wxsim }

// setupPayments builds the payment service. In sandbox mode the WeChat Pay
// simulator runs in-process at the root paths /v3/, /cgi-bin/ and /sim/ of
// this server and the wxpay client talks to BaseURL; its keys live in
// DataDir/wechatsim (in memory without a data dir). Outside sandbox mode
// the default account comes from Config.WeChatPay; without one only the
// providers who entered their own account take payments.
func (s *Server) setupPayments(appID, appSecret string) error {
	var wcfg wxpay.Config
	switch {
	case s.cfg.Sandbox:
		mk, pk, err := sandboxKeys(s.cfg.DataDir)
		if err != nil {
			return err
		}
		s.pay.wxsim = &wechatsim.Server{
			Merchants: []wechatsim.Merchant{{MchID: SandboxSpMchID, Name: "QR Stand 沙箱服务商", SerialNo: sandboxSerial,
				PublicKey: &mk.PublicKey, APIv3Key: sandboxAPIv3Key, AppIDs: []string{appID}}},
			PlatformKey: pk, Speedup: 60, Log: s.log.With("component", "wechatsim"),
		}
		if s.sim != nil {
			// One simulated WeChat: the OAuth simulator plays every
			// official account WeChat Pay's simulator issued with a
			// partner account, and WeChat Pay's refuses a payer whose
			// openid the OAuth simulator issued under another AppID.
			s.sim.Accounts = s.pay.wxsim.OfficialAccount
			s.pay.wxsim.PayerAppID = s.sim.IssuedUnder
		}
		if s.cfg.DataDir != "" {
			s.pay.wxsim.AccountsDir = filepath.Join(s.cfg.DataDir, "wechatsim", "accounts")
		}
		wcfg = wxpay.Config{
			SpAppID: appID, SpMchID: SandboxSpMchID, MerchantSerial: sandboxSerial, PrivateKey: mk, APIv3Key: sandboxAPIv3Key,
			PlatformPublicKey: s.pay.wxsim.PlatformPublicKey(), PlatformPublicKeyID: s.pay.wxsim.PlatformPublicKeyID(),
			NotifyURL: s.cfg.BaseURL + "/wxpay/notify", SandboxBaseURL: s.cfg.BaseURL,
		}
		s.pay.templates = s.officialAccounts(appID, appSecret)
	case s.cfg.WeChatPay != nil:
		var err error
		if wcfg, err = s.cfg.WeChatPay.wxpayConfig(appID, s.cfg.BaseURL); err != nil {
			return err
		}
		s.pay.templates = s.officialAccounts(appID, appSecret)
	default:
		// No default account: only providers who entered their own
		// partner account in the console can be paid.
		s.log.Warn("payments: no wechat_pay account in the config; only providers with their own account (console → 微信支付设置) take payments")
		s.pay.templates = s.officialAccounts(appID, appSecret)
	}
	var acct payment.Account
	if wcfg.SpMchID != "" {
		wcfg.Log = s.log.With("component", "wxpay")
		client, err := wxpay.New(wcfg)
		if err != nil {
			return err
		}
		s.pay.client = client
		acct = payment.Account{Client: client, SpMchID: wcfg.SpMchID, SpAppID: wcfg.SpAppID}
	}
	sandbox := s.cfg.Sandbox
	s.pay.own = &providerAccounts{s: s, byID: map[string]ownAccount{}}
	var err error
	s.pay.svc, err = payment.New(payment.Config{
		// A provider that entered its own partner account pays through
		// it; the others through the default account: in sandbox the
		// simulator's, otherwise the config file's, which a provider
		// recorded with another sp_mchid cannot use.
		Accounts: func(ctx context.Context, providerID string) (payment.Account, error) {
			own, ok, err := s.pay.own.account(ctx, providerID)
			if err != nil {
				return payment.Account{}, err
			}
			if ok {
				return own.acct, nil
			}
			if acct.Client == nil {
				return payment.Account{}, payment.ErrNoAccount
			}
			if !sandbox {
				p, err := s.st.Provider(ctx, providerID)
				if err != nil {
					return payment.Account{}, err
				}
				if p.SPMchID != "" && p.SPMchID != acct.SpMchID {
					return payment.Account{}, fmt.Errorf("provider %s has sp_mchid %s but no complete account; the default is %s", providerID, p.SPMchID, acct.SpMchID)
				}
			}
			return acct, nil
		},
		BaseURL: s.cfg.BaseURL, TemplatePaid: s.cfg.WeChatTemplatePaid, Log: s.log.With("component", "payment"),
		AfterCommit: func() {
			if d := s.pay.dispatcher; d != nil {
				d.Kick()
			}
		},
	}, s.st)
	if err != nil {
		return err
	}
	return nil
}

// payOptions is what the pay pages need: the service, a kick for the
// outbox dispatcher and, in sandbox mode, the simulator's confirm page
// standing in for WeChat's pay sheet.
func (s *Server) payOptions() ui.PayOptions {
	o := ui.PayOptions{Service: s.pay.svc, Kick: func() {
		if d := s.pay.dispatcher; d != nil {
			d.Kick()
		}
	}}
	if s.pay.svc != nil && s.pay.wxsim != nil {
		base := s.cfg.BaseURL
		o.SandboxSheet = func(prepayID, returnURL string) string {
			return wechatsim.ConfirmURL(base, prepayID, returnURL)
		}
	}
	return o
}

// mountPayments adds the notify endpoint and, in sandbox mode, the
// simulator at the root (no StripPrefix: request signatures cover the path).
func (s *Server) mountPayments(mux *http.ServeMux) {
	if s.pay.svc == nil {
		return
	}
	s.reg.MustRegister(s.pay.svc.Collectors()...)
	if s.pay.client != nil {
		mux.Handle("POST /wxpay/notify", s.pay.client.NotifyHandler(s.pay.svc.HandleNotify))
	}
	mux.HandleFunc("POST /wxpay/notify/{provider}", s.pay.own.notifyHandler)
	if s.pay.wxsim != nil {
		for _, p := range []string{"/v3/", "/cgi-bin/", "/sim/"} {
			mux.Handle(p, s.pay.wxsim)
		}
	}
}

// setupDispatcher makes the outbox dispatcher when there are payments
// and a broker. The single node of an embedded broker sees every uplink,
// so it may answer a stand online without a hello (HelloGrace).
func (s *Server) setupDispatcher() error {
	if s.pay.svc == nil || s.mqtt == nil {
		return nil
	}
	grace := time.Duration(0)
	if s.cfg.BrokerKind == BrokerEmbedded {
		grace = helloGrace
	}
	d, err := outbox.New(outbox.Config{Link: s.mqtt, HelloGrace: grace, Templates: s.pay.templates, Log: s.log.With("component", "outbox")}, s.st)
	if err != nil {
		return err
	}
	s.pay.dispatcher = d
	return nil
}

// runPayments starts the outbox dispatcher (when there is one) and the
// reconciler; both stop with ctx.
func (s *Server) runPayments(ctx context.Context, g *errgroup.Group) error {
	if s.pay.svc == nil {
		return nil
	}
	if d := s.pay.dispatcher; d != nil {
		g.Go(func() error { _ = d.Run(ctx); return nil })
	}
	g.Go(func() error { s.pay.svc.RunReconciler(ctx, 10*time.Second, 30*time.Second); return nil })
	return nil
}

// closePayments stops the simulator's pending notifies.
func (s *Server) closePayments() {
	if s.pay.wxsim != nil {
		s.pay.wxsim.Close()
	}
}

// sandboxKeys loads or creates the sandbox merchant and platform keys.
func sandboxKeys(dataDir string) (merchant, platform *rsa.PrivateKey, err error) {
	dir := ""
	if dataDir != "" {
		dir = filepath.Join(dataDir, "wechatsim")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, nil, fmt.Errorf("server: sandbox keys: %w", err)
		}
	} else {
		if dir, err = os.MkdirTemp("", "qrstand-wechatsim-"); err != nil {
			return nil, nil, err
		}
		defer os.RemoveAll(dir)
	}
	if merchant, err = wechatsim.LoadOrCreatePrivateKey(filepath.Join(dir, "apiclient_key.pem")); err != nil {
		return nil, nil, err
	}
	if platform, err = wechatsim.LoadOrCreatePrivateKey(filepath.Join(dir, "platform_key.pem")); err != nil {
		return nil, nil, err
	}
	return merchant, platform, nil
}

// officialAccounts sends staff messages through the paid merchant's
// provider's official account when the provider entered its AppID and
// AppSecret, through the deployment's (appID, appSecret) otherwise. In
// sandbox mode every such account's /cgi-bin/ calls go to the simulator.
func (s *Server) officialAccounts(appID, appSecret string) *outbox.OfficialAccounts {
	var routed sync.Map
	sandbox := func(id string) {
		if !s.cfg.Sandbox {
			return
		}
		if _, done := routed.LoadOrStore(id, true); done {
			return
		}
		if u, err := url.Parse(s.cfg.BaseURL); err == nil {
			wxauth.RouteSandbox(id, "/cgi-bin/", u)
		}
	}
	return &outbox.OfficialAccounts{Resolve: func(ctx context.Context, providerID string) (outbox.Sender, error) {
		if providerID != "" {
			p, err := s.st.Provider(ctx, providerID)
			if err != nil {
				return outbox.Sender{}, err
			}
			sec, err := s.st.ProviderSecrets(ctx, providerID)
			if err != nil {
				return outbox.Sender{}, err
			}
			if p.SPAppID != "" && sec.AppSecret != "" {
				sandbox(p.SPAppID)
				// Template ids belong to an official account: the
				// provider's own, when it entered one.
				return outbox.Sender{AppID: p.SPAppID, Secret: sec.AppSecret, TemplatePaid: sec.PaidTemplateID}, nil
			}
		}
		sandbox(appID)
		return outbox.Sender{AppID: appID, Secret: appSecret}, nil
	}}
}
