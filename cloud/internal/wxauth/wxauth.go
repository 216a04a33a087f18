package wxauth

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"github.com/silenceper/wechat/v2/cache"
	"github.com/silenceper/wechat/v2/officialaccount"
	offconfig "github.com/silenceper/wechat/v2/officialaccount/config"
	"github.com/silenceper/wechat/v2/officialaccount/oauth"
)

// Errors callers branch on.
var (
	ErrSnapshotUser = errors.New("wxauth: snapshot (快照页) user has no real identity")
	ErrExchange     = errors.New("wxauth: code exchange failed")
)

// OAuth turns a WeChat OAuth code into an openid of one official account.
type OAuth struct {
	appID   string
	oauth   *oauth.Oauth
	simBase string // sandbox: the simulator's base URL for browser redirects
	close   func()

	mu      sync.Mutex
	others  map[string]*OAuth // For's clients, by appid + "\x00" + secret
	removes []func()
}

// New returns a client for the real WeChat official account appID.
func New(appID, appSecret string) *OAuth {
	install()
	return &OAuth{appID: appID, oauth: newOauth(appID, appSecret), close: func() {}}
}

// AppID is the official account whose openids this client yields.
func (o *OAuth) AppID() string { return o.appID }

// For returns a client for another official account (a service provider's
// own) that goes where o goes: real WeChat, or o's simulator in sandbox
// mode. Clients are kept per (appID, appSecret), so a changed secret gets
// a fresh one; they live until o is closed.
func (o *OAuth) For(appID, appSecret string) *OAuth {
	key := appID + "\x00" + appSecret
	o.mu.Lock()
	defer o.mu.Unlock()
	if c, ok := o.others[key]; ok {
		return c
	}
	if o.others == nil {
		o.others = map[string]*OAuth{}
	}
	c := &OAuth{appID: appID, oauth: newOauth(appID, appSecret), simBase: o.simBase, close: func() {}}
	if o.simBase != "" {
		u, _ := url.Parse(o.simBase) // parsed by NewSandbox
		o.removes = append(o.removes, RouteSandbox(appID, "/sns/", u))
	}
	o.others[key] = c
	return c
}

// NewSandbox returns a client whose browser redirects and token calls go to
// the simulator at simBase (e.g. "http://127.0.0.1:8080/_sim/wx"). appID
// should be unique per process (one per server instance).
func NewSandbox(appID, appSecret, simBase string) (*OAuth, error) {
	u, err := url.Parse(strings.TrimRight(simBase, "/"))
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("wxauth: bad simulator URL %q", simBase)
	}
	remove := RouteSandbox(appID, "/sns/", u)
	return &OAuth{appID: appID, oauth: newOauth(appID, appSecret), simBase: u.String(), close: remove}, nil
}

func newOauth(appID, appSecret string) *oauth.Oauth {
	oa := officialaccount.NewOfficialAccount(&offconfig.Config{AppID: appID, AppSecret: appSecret, Cache: cache.NewMemory()})
	return oa.GetOauth()
}

// Close forgets the sandbox routes, o's and those of its For clients.
func (o *OAuth) Close() {
	o.mu.Lock()
	removes := o.removes
	o.removes = nil
	o.mu.Unlock()
	for _, remove := range removes {
		remove()
	}
	o.close()
}

// AuthorizeURL is where to send the browser; WeChat comes back to
// redirectURI with ?code=&state=.
func (o *OAuth) AuthorizeURL(redirectURI, state string) (string, error) {
	u, err := o.oauth.GetRedirectURL(redirectURI, "snsapi_base", state)
	if err != nil {
		return "", fmt.Errorf("wxauth: authorize url: %w", err)
	}
	if o.simBase != "" {
		u = strings.Replace(u, "https://open.weixin.qq.com", o.simBase, 1)
	}
	return u, nil
}

// OpenID exchanges a code for the user's openid.
func (o *OAuth) OpenID(ctx context.Context, code string) (string, error) {
	res, err := o.oauth.GetUserAccessTokenContext(ctx, code)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrExchange, Redact(err))
	}
	if res.IsSnapShotUser == 1 {
		return "", ErrSnapshotUser
	}
	if res.OpenID == "" {
		return "", fmt.Errorf("%w: no openid", ErrExchange)
	}
	return res.OpenID, nil
}
