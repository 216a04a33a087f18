package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"sync"

	"github.com/qrstand/qrstand/cloud/internal/wxauth"
	"github.com/silenceper/wechat/v2/cache"
	"github.com/silenceper/wechat/v2/officialaccount"
	offconfig "github.com/silenceper/wechat/v2/officialaccount/config"
	"github.com/silenceper/wechat/v2/officialaccount/message"
)

// OfficialAccounts sends template messages through WeChat official
// accounts with github.com/silenceper/wechat/v2 — each provider's own
// account when it entered one, the deployment's otherwise. In sandbox mode
// the library's requests reach the simulator through wxauth's routing
// transport (see wxauth.RouteSandbox).
type OfficialAccounts struct {
	// Resolve returns the official account that sends a provider's
	// messages. Required.
	Resolve func(ctx context.Context, providerID string) (Sender, error)

	mu       sync.Mutex
	accounts map[string]*officialaccount.OfficialAccount // appid + "\x00" + secret
}

// Sender is one official account.
type Sender struct {
	AppID, Secret string
	// TemplatePaid, when set, replaces the payment message's template id
	// (template ids are per official account).
	TemplatePaid string
}

func (o *OfficialAccounts) account(appID, secret string, fresh bool) *officialaccount.OfficialAccount {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.accounts == nil {
		o.accounts = map[string]*officialaccount.OfficialAccount{}
	}
	k := appID + "\x00" + secret
	if oa, ok := o.accounts[k]; ok && !fresh {
		return oa
	}
	// Each account has its own token cache: a fresh account forgets a
	// token WeChat has rejected.
	oa := officialaccount.NewOfficialAccount(&offconfig.Config{AppID: appID, AppSecret: secret, Cache: cache.NewMemory()})
	o.accounts[k] = oa
	return oa
}

// errCode finds WeChat's errcode in the library's error text ("…
// errcode=43004 …"); 0 when there is none.
var reErrCode = regexp.MustCompile(`errcode=\s*(\d+)`)

func errCode(err error) int {
	m := reErrCode.FindStringSubmatch(err.Error())
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// SendTemplate implements TemplateSender. payload is the JSON body of
// /cgi-bin/message/template/send, client_msg_id included (WeChat drops a
// repeat).
func (o *OfficialAccounts) SendTemplate(ctx context.Context, providerID string, payload []byte) error {
	var msg message.TemplateMessage
	if err := json.Unmarshal(payload, &msg); err != nil {
		return fmt.Errorf("%w: template payload: %v", ErrPermanent, err)
	}
	snd, err := o.Resolve(ctx, providerID)
	if err != nil {
		return fmt.Errorf("outbox: official account of provider %q: %w", providerID, err)
	}
	appID, secret := snd.AppID, snd.Secret
	if snd.TemplatePaid != "" {
		msg.TemplateID = snd.TemplatePaid
	}
	if appID == "" || secret == "" {
		return fmt.Errorf("%w: no official account for provider %q", ErrPermanent, providerID)
	}
	for attempt := 0; attempt < 2; attempt++ {
		// The library takes no context; the dispatcher's timeout bounds
		// the whole pass and the HTTP client its own calls.
		_, err = o.account(appID, secret, attempt > 0).GetTemplate().Send(&msg)
		err = wxauth.Redact(err) // its text may carry the AppSecret or a token
		if err == nil {
			return nil
		}
		switch errCode(err) {
		case 40001, 40014, 42001: // token invalid or expired: once more with a new one
			continue
		case 40003, 43004, 40037: // bad openid, unfollowed, bad template
			return fmt.Errorf("%w: %v", ErrPermanent, err)
		}
		return fmt.Errorf("outbox: template send: %w", err)
	}
	return fmt.Errorf("outbox: template send: access token rejected twice: %w", err)
}
