package server

import (
	"context"
	"crypto/rsa"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/outbox"
	"github.com/qrstand/qrstand/cloud/internal/payment"
	"github.com/qrstand/qrstand/cloud/internal/ui"
	"github.com/qrstand/qrstand/cloud/internal/wechatsim"
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
	templates  *outbox.OfficialAccount
}

// Payments is the payment service (tests, tools).
func (s *Server) Payments() *payment.Service { return s.pay.svc }

// WeChatPaySim is the in-process WeChat Pay simulator (nil outside sandbox).
func (s *Server) WeChatPaySim() *wechatsim.Server { return s.pay.wxsim }

// setupPayments builds the payment service. In sandbox mode the WeChat Pay
// simulator runs in-process at the root paths /v3/, /cgi-bin/ and /sim/ of
// this server and the wxpay client talks to BaseURL; its keys live in
// DataDir/wechatsim (in memory without a data dir). Outside sandbox mode
// the account comes from Config.WeChatPay; without one the pay page is off.
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
				PublicKey: &mk.PublicKey, APIv3Key: sandboxAPIv3Key}},
			PlatformKey: pk, Speedup: 60, Log: s.log.With("component", "wechatsim"),
		}
		wcfg = wxpay.Config{
			SpAppID: appID, SpMchID: SandboxSpMchID, MerchantSerial: sandboxSerial, PrivateKey: mk, APIv3Key: sandboxAPIv3Key,
			PlatformPublicKey: s.pay.wxsim.PlatformPublicKey(), PlatformPublicKeyID: s.pay.wxsim.PlatformPublicKeyID(),
			NotifyURL: s.cfg.BaseURL + "/wxpay/notify", SandboxBaseURL: s.cfg.BaseURL,
		}
		s.pay.templates = &outbox.OfficialAccount{BaseURL: s.cfg.BaseURL, AppID: appID, Secret: appSecret}
	case s.cfg.WeChatPay != nil:
		var err error
		if wcfg, err = s.cfg.WeChatPay.wxpayConfig(appID, s.cfg.BaseURL); err != nil {
			return err
		}
		s.pay.templates = &outbox.OfficialAccount{BaseURL: "https://api.weixin.qq.com", AppID: appID, Secret: appSecret}
	default:
		s.log.Warn("payments: no wechat_pay account configured; the pay page is disabled")
		return nil
	}
	wcfg.Log = s.log.With("component", "wxpay")
	client, err := wxpay.New(wcfg)
	if err != nil {
		return err
	}
	s.pay.client = client
	acct := payment.Account{Client: client, SpMchID: wcfg.SpMchID, SpAppID: wcfg.SpAppID}
	sandbox := s.cfg.Sandbox
	s.pay.svc, err = payment.New(payment.Config{
		// One service provider per deployment: providers recorded with
		// another sp_mchid have no account here (in sandbox every provider
		// pays through the simulator's).
		Accounts: func(ctx context.Context, providerID string) (payment.Account, error) {
			if !sandbox {
				p, err := s.st.Provider(ctx, providerID)
				if err != nil {
					return payment.Account{}, err
				}
				if p.SPMchID != "" && p.SPMchID != acct.SpMchID {
					return payment.Account{}, fmt.Errorf("provider %s has sp_mchid %s, this deployment %s", providerID, p.SPMchID, acct.SpMchID)
				}
			}
			return acct, nil
		},
		BaseURL: s.cfg.BaseURL, Log: s.log.With("component", "payment"),
		AfterCommit: func() {
			if d := s.pay.dispatcher; d != nil {
				d.Kick()
			}
		},
	}, s.st)
	if err != nil {
		return err
	}
	simBase := ""
	if sandbox {
		simBase = s.cfg.BaseURL
	}
	s.pages.SetPayments(ui.PayOptions{Service: s.pay.svc, SimBaseURL: simBase})
	return nil
}

// mountPayments adds the notify endpoint and, in sandbox mode, the
// simulator at the root (no StripPrefix: request signatures cover the path).
func (s *Server) mountPayments(mux *http.ServeMux) {
	if s.pay.svc == nil {
		return
	}
	s.reg.MustRegister(s.pay.svc.Collectors()...)
	mux.Handle("POST /wxpay/notify", s.pay.client.NotifyHandler(s.pay.svc.HandleNotify))
	if s.pay.wxsim != nil {
		for _, p := range []string{"/v3/", "/cgi-bin/", "/sim/"} {
			mux.Handle(p, s.pay.wxsim)
		}
	}
}

// runPayments starts the outbox dispatcher (when a broker is known) and
// the reconciler; both stop with ctx.
func (s *Server) runPayments(ctx context.Context, wg *sync.WaitGroup, brokerURL string) error {
	if s.pay.svc == nil {
		return nil
	}
	if brokerURL != "" {
		storeDir := ""
		if s.cfg.DataDir != "" {
			storeDir = filepath.Join(s.cfg.DataDir, "outbox-mqtt")
			if isExternal(s.cfg.BrokerKind) {
				storeDir += "-" + s.cfg.NodeID // nodes may share a data dir
			}
		}
		d, err := outbox.New(outbox.Config{Broker: brokerURL, User: s.brokerUser(), Secret: s.serviceSecret, StoreDir: storeDir,
			ClientID: s.clientID("outbox"), UpFilter: s.upFilter(upGroupOutbox),
			Templates: s.pay.templates, Log: s.log.With("component", "outbox")}, s.st)
		if err != nil {
			return err
		}
		s.pay.dispatcher = d
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.Run(ctx)
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.pay.svc.RunReconciler(ctx, 10*time.Second, 30*time.Second)
	}()
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
