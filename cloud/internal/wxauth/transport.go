package wxauth

import (
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

func (t routingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host == "api.weixin.qq.com" || r.URL.Host == "open.weixin.qq.com" {
		target, ok := lookup(r.URL.Query().Get("appid"), r.URL.Path)
		if ok {
			r = r.Clone(r.Context())
			r.URL.Scheme, r.URL.Host = target.Scheme, target.Host
			r.URL.Path = target.Path + r.URL.Path
			r.Host = target.Host
		}
	}
	return t.base.RoundTrip(r)
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
