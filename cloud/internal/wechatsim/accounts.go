package wechatsim

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"sort"
)

// Account is a WeChat Pay partner account the simulator issued, with
// everything a service provider pastes into the console (微信支付设置):
// what WeChat would have given it (merchant key, serial, platform public
// key and its id), the APIv3 key it would have set, and an official
// account. PlatformKeyPEM is the simulator's own half, kept to sign.
type Account struct {
	MchID                string `json:"sp_mchid"`
	AppID                string `json:"app_id"`
	AppSecret            string `json:"app_secret"`
	Serial               string `json:"cert_serial"`
	APIv3Key             string `json:"apiv3_key"`
	MerchantKeyPEM       string `json:"merchant_private_key_pem"`
	PlatformPublicKeyPEM string `json:"platform_public_key_pem"`
	PlatformKeyID        string `json:"platform_public_key_id"`
	PlatformKeyPEM       string `json:"platform_private_key_pem"`
}

func randDigits(n int) string {
	out := make([]byte, n)
	for i := range out {
		d, _ := rand.Int(rand.Reader, big.NewInt(10))
		out[i] = byte('0' + d.Int64())
	}
	return string(out)
}

func randHex(n int) string {
	b := make([]byte, (n+1)/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)[:n]
}

func keyPEM(k *rsa.PrivateKey) string {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		panic(fmt.Sprintf("wechatsim: encode key: %v", err))
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// IssueAccount creates a partner account with fresh keys, lets it in (as
// AddMerchant) and, when AccountsDir is set, keeps it there so it works
// after a restart.
func (s *Server) IssueAccount() (Account, error) {
	s.init()
	mk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return Account{}, err
	}
	pk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return Account{}, err
	}
	a := Account{MchID: "19" + randDigits(8), AppID: "wx" + randHex(16), AppSecret: randHex(32), Serial: randHex(40),
		APIv3Key: randHex(32), MerchantKeyPEM: keyPEM(mk), PlatformPublicKeyPEM: string(PublicKeyPEM(&pk.PublicKey)),
		PlatformKeyID: "PUB_KEY_ID_01" + randDigits(30), PlatformKeyPEM: keyPEM(pk)}
	if s.AccountsDir != "" {
		b, _ := json.MarshalIndent(a, "", "  ")
		if err := os.MkdirAll(s.AccountsDir, 0o700); err != nil {
			return a, err
		}
		if err := os.WriteFile(filepath.Join(s.AccountsDir, "account-"+a.MchID+".json"), b, 0o600); err != nil {
			return a, err
		}
	}
	s.addAccount(a, mk, pk)
	return a, nil
}

func (s *Server) addAccount(a Account, mk, pk *rsa.PrivateKey) {
	s.mu.Lock()
	if s.OfficialAccounts != nil {
		s.OfficialAccounts[a.AppID] = a.AppSecret
	}
	s.mu.Unlock()
	s.AddMerchant(Merchant{MchID: a.MchID, Name: "沙箱服务商 " + a.MchID, SerialNo: a.Serial, PublicKey: &mk.PublicKey,
		APIv3Key: a.APIv3Key, PlatformKey: pk, PlatformKeyID: a.PlatformKeyID, AppIDs: []string{a.AppID}})
	s.mchMu.Lock()
	s.issued = append(s.issued, a)
	s.mchMu.Unlock()
}

// loadAccounts lets in the accounts kept in AccountsDir.
func (s *Server) loadAccounts() {
	files, _ := filepath.Glob(filepath.Join(s.AccountsDir, "account-*.json"))
	sort.Strings(files)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			s.Log.Warn("wechatsim: account file", "file", f, "err", err)
			continue
		}
		var a Account
		if err := json.Unmarshal(b, &a); err != nil {
			s.Log.Warn("wechatsim: account file", "file", f, "err", err)
			continue
		}
		mk, err1 := parseKeyPEM(a.MerchantKeyPEM)
		pk, err2 := parseKeyPEM(a.PlatformKeyPEM)
		if err1 != nil || err2 != nil {
			s.Log.Warn("wechatsim: account file keys", "file", f)
			continue
		}
		s.addAccount(a, mk, pk)
	}
}

func parseKeyPEM(text string) (*rsa.PrivateKey, error) {
	blk, _ := pem.Decode([]byte(text))
	if blk == nil {
		return nil, fmt.Errorf("wechatsim: no PEM")
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, err
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("wechatsim: not RSA")
	}
	return rk, nil
}

// OfficialAccount returns the AppSecret of an official account the
// simulator issued (with a partner account) or was configured with.
func (s *Server) OfficialAccount(appID string) (secret string, ok bool) {
	s.init()
	s.mu.Lock()
	secret, ok = s.OfficialAccounts[appID]
	s.mu.Unlock()
	if ok {
		return secret, true
	}
	s.mchMu.RLock()
	defer s.mchMu.RUnlock()
	for _, a := range s.issued {
		if a.AppID == appID {
			return a.AppSecret, true
		}
	}
	return "", false
}

// Accounts lists the issued accounts, oldest first.
func (s *Server) Accounts() []Account {
	s.init()
	s.mchMu.RLock()
	defer s.mchMu.RUnlock()
	return append([]Account(nil), s.issued...)
}

func (s *Server) handleAccounts(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := pages.ExecuteTemplate(w, "accounts.html", s.Accounts()); err != nil {
		s.Log.Error("wechatsim: accounts page", "err", err)
	}
}

func (s *Server) handleIssueAccount(w http.ResponseWriter, r *http.Request) {
	if _, err := s.IssueAccount(); err != nil {
		s.Log.Error("wechatsim: issue account", "err", err)
		http.Error(w, "issue failed", http.StatusInternalServerError)
		return
	}
	http.Redirect(w, r, "/sim/accounts", http.StatusSeeOther)
}
