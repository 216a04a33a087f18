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
// no WeChat Pay account is configured yet (see cloud/README.md).
func (s *Server) setupPayments(appID, appSecret string) error {
	if !s.cfg.Sandbox {
		s.log.Warn("payments: no WeChat Pay account outside sandbox mode yet; the pay page is disabled")
		return nil
	}
	mk, pk, err := sandboxKeys(s.cfg.DataDir)
	if err != nil {
		return err
	}
	s.pay.wxsim = &wechatsim.Server{
		Merchants: []wechatsim.Merchant{{MchID: SandboxSpMchID, Name: "QR Stand 沙箱服务商", SerialNo: sandboxSerial,
			PublicKey: &mk.PublicKey, APIv3Key: sandboxAPIv3Key}},
		PlatformKey: pk, Speedup: 60, Log: s.log.With("component", "wechatsim"),
	}
	client, err := wxpay.New(wxpay.Config{
		SpAppID: appID, SpMchID: SandboxSpMchID, MerchantSerial: sandboxSerial, PrivateKey: mk, APIv3Key: sandboxAPIv3Key,
		PlatformPublicKey: s.pay.wxsim.PlatformPublicKey(), PlatformPublicKeyID: s.pay.wxsim.PlatformPublicKeyID(),
		NotifyURL: s.cfg.BaseURL + "/wxpay/notify", SandboxBaseURL: s.cfg.BaseURL, Log: s.log.With("component", "wxpay"),
	})
	if err != nil {
		return err
	}
	s.pay.client = client
	acct := payment.Account{Client: client, SpMchID: SandboxSpMchID, SpAppID: appID}
	s.pay.svc, err = payment.New(payment.Config{
		Accounts: func(context.Context, string) (payment.Account, error) { return acct, nil },
		BaseURL:  s.cfg.BaseURL, Log: s.log.With("component", "payment"),
		AfterCommit: func() {
			if d := s.pay.dispatcher; d != nil {
				d.Kick()
			}
		},
	}, s.st)
	if err != nil {
		return err
	}
	s.pay.templates = &outbox.OfficialAccount{BaseURL: s.cfg.BaseURL, AppID: appID, Secret: appSecret}
	s.pages.SetPayments(ui.PayOptions{Service: s.pay.svc, SimBaseURL: s.cfg.BaseURL})
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
		d, err := outbox.New(outbox.Config{Broker: brokerURL, User: ServiceUser, Secret: s.serviceSecret,
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
