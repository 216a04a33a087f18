package wxauth

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

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

// OAuth turns a WeChat OAuth code into an openid.
type OAuth struct {
	oauth   *oauth.Oauth
	simBase string // sandbox: the simulator's base URL for browser redirects
	close   func()
}

// New returns a client for the real WeChat official account appID.
func New(appID, appSecret string) *OAuth {
	install()
	return &OAuth{oauth: newOauth(appID, appSecret), close: func() {}}
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
	return &OAuth{oauth: newOauth(appID, appSecret), simBase: u.String(), close: remove}, nil
}

func newOauth(appID, appSecret string) *oauth.Oauth {
	oa := officialaccount.NewOfficialAccount(&offconfig.Config{AppID: appID, AppSecret: appSecret, Cache: cache.NewMemory()})
	return oa.GetOauth()
}

// Close forgets the sandbox route.
func (o *OAuth) Close() { o.close() }

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
		return "", fmt.Errorf("%w: %v", ErrExchange, err)
	}
	if res.IsSnapShotUser == 1 {
		return "", ErrSnapshotUser
	}
	if res.OpenID == "" {
		return "", fmt.Errorf("%w: no openid", ErrExchange)
	}
	return res.OpenID, nil
}
