package wxauth

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/silenceper/wechat/v2/util"
)

// silenceper/wechat sends every request through the package variable
// util.DefaultHTTPClient. We install one client, once, whose transport
// routes requests for a sandbox appid to that appid's simulator and passes
// everything else to real WeChat. Several sandboxed servers (tests) can so
// share the process without seeing each other.

type routeKey struct{ appID, prefix string }

var (
	installOnce sync.Once
	routesMu    sync.RWMutex
	routes      = map[routeKey]*url.URL{} // (appid, path prefix) -> simulator base
)

type routingTransport struct{ base http.RoundTripper }

func lookup(appID, path string) (*url.URL, bool) {
	routesMu.RLock()
	defer routesMu.RUnlock()
	for k, v := range routes {
		if k.appID == appID && strings.HasPrefix(path, k.prefix) {
			return v, true
		}
	}
	return nil, false
}

// sandboxTokens remembers the access tokens a simulator issued, so calls
// that carry only ?access_token= (template messages) reach the same one.
var sandboxTokens sync.Map // access_token -> *url.URL

func (t routingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host != "api.weixin.qq.com" && r.URL.Host != "open.weixin.qq.com" {
		return t.base.RoundTrip(r)
	}
	q := r.URL.Query()
	target, ok := lookup(q.Get("appid"), r.URL.Path)
	if !ok && q.Get("access_token") != "" {
		if v, found := sandboxTokens.Load(q.Get("access_token")); found {
			target, ok = v.(*url.URL), true
		}
	}
	if !ok {
		return t.base.RoundTrip(r)
	}
	path := r.URL.Path
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host = target.Scheme, target.Host
	r.URL.Path = target.Path + r.URL.Path
	r.Host = target.Host
	resp, err := t.base.RoundTrip(r)
	if err != nil || path != "/cgi-bin/token" || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if json.Unmarshal(body, &tok) == nil && tok.AccessToken != "" {
		sandboxTokens.Store(tok.AccessToken, target)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

func install() {
	installOnce.Do(func() {
		util.DefaultHTTPClient = &http.Client{
			Transport: routingTransport{base: http.DefaultTransport},
			Timeout:   15 * time.Second,
		}
	})
}

// RouteSandbox sends silenceper/wechat requests for appID whose path starts
// with prefix (e.g. "/cgi-bin/") to the simulator at target instead of
// WeChat, until the returned func is called. NewSandbox routes the OAuth
// paths ("/sns/"); other sandboxed WeChat APIs (template messages) add
// their own prefix.
func RouteSandbox(appID, prefix string, target *url.URL) (remove func()) {
	install()
	k := routeKey{appID, prefix}
	routesMu.Lock()
	routes[k] = target
	routesMu.Unlock()
	return func() {
		routesMu.Lock()
		if routes[k] == target {
			delete(routes, k)
		}
		routesMu.Unlock()
	}
}
