package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/payment"
	"github.com/qrstand/qrstand/cloud/internal/wxpay"
)

// providerAccounts holds a WeChat Pay client per service provider that
// entered its own partner account in the console (sealed in the database),
// built on first use and rebuilt when the provider changes it. Providers
// without one pay through the deployment's default account (the config
// file's wechat_pay, or the sandbox's).
type providerAccounts struct {
	s *Server

	mu   sync.Mutex
	byID map[string]ownAccount
}

type ownAccount struct {
	fingerprint string
	acct        payment.Account
	notify      http.Handler
}

// account returns the provider's own account, or ok false when it has none.
func (a *providerAccounts) account(ctx context.Context, providerID string) (own ownAccount, ok bool, err error) {
	p, err := a.s.st.Provider(ctx, providerID)
	if err != nil {
		return own, false, err
	}
	sec, err := a.s.st.ProviderSecrets(ctx, providerID)
	if err != nil {
		return own, false, err
	}
	if p.SPMchID == "" || p.SPAppID == "" || !sec.HasPayAccount() {
		return own, false, nil
	}
	fp := fingerprint(p, sec)
	a.mu.Lock()
	defer a.mu.Unlock()
	if cur, ok := a.byID[providerID]; ok && cur.fingerprint == fp {
		return cur, true, nil
	}
	client, err := a.build(p, sec)
	if err != nil {
		return own, false, fmt.Errorf("server: provider %s account: %w", providerID, err)
	}
	own = ownAccount{fingerprint: fp, acct: payment.Account{Client: client, SpMchID: p.SPMchID, SpAppID: p.SPAppID}}
	own.notify = client.NotifyHandler(a.s.pay.svc.HandleNotify)
	a.byID[providerID] = own
	return own, true, nil
}

func (a *providerAccounts) build(p model.Provider, sec model.ProviderSecrets) (*wxpay.Client, error) {
	key, err := wxpay.ParsePrivateKey(sec.PrivateKeyPEM)
	if err != nil {
		return nil, err
	}
	pub, err := wxpay.ParsePublicKey(sec.PlatformPublicKeyPEM)
	if err != nil {
		return nil, err
	}
	cfg := wxpay.Config{SpAppID: p.SPAppID, SpMchID: p.SPMchID, MerchantSerial: sec.CertSerial, PrivateKey: key,
		APIv3Key: sec.APIv3Key, PlatformPublicKey: pub, PlatformPublicKeyID: sec.PlatformPublicKeyID,
		// Each provider has its own notify URL: the notify is verified
		// with that provider's platform key and APIv3 key.
		NotifyURL: a.s.cfg.BaseURL + "/wxpay/notify/" + p.ID, Log: a.s.log.With("component", "wxpay", "provider", p.ID)}
	if a.s.cfg.Sandbox {
		cfg.SandboxBaseURL = a.s.cfg.BaseURL
	}
	return wxpay.New(cfg)
}

func fingerprint(p model.Provider, sec model.ProviderSecrets) string {
	b, _ := json.Marshal(struct {
		M, A string
		S    model.ProviderSecrets
	}{p.SPMchID, p.SPAppID, sec})
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// notifyHandler serves /wxpay/notify/{provider}: the provider's own
// account verifies and decrypts it. A provider without one has no notify
// URL of its own (404: WeChat never had that URL from us).
func (a *providerAccounts) notifyHandler(w http.ResponseWriter, r *http.Request) {
	own, ok, err := a.account(r.Context(), r.PathValue("provider"))
	if err != nil || !ok {
		if err != nil {
			a.s.log.Warn("server: provider notify", "provider", r.PathValue("provider"), "err", err)
		}
		http.Error(w, `{"code":"FAIL","message":"unknown"}`, http.StatusNotFound)
		return
	}
	own.notify.ServeHTTP(w, r)
}
