package wxauth

import (
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/silenceper/wechat/v2/util"
)

// silenceper/wechat sends every request through the package variable
// util.DefaultHTTPClient. We install one client, once, whose transport
// routes requests for a sandbox appid to that appid's simulator and passes
// everything else to real WeChat. Several sandboxed servers (tests) can so
// share the process without seeing each other.

var (
	installOnce sync.Once
	routesMu    sync.RWMutex
	routes      = map[string]*url.URL{} // appid -> simulator base
)

type routingTransport struct{ base http.RoundTripper }

func (t routingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host == "api.weixin.qq.com" || r.URL.Host == "open.weixin.qq.com" {
		routesMu.RLock()
		target, ok := routes[r.URL.Query().Get("appid")]
		routesMu.RUnlock()
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

func addRoute(appID string, target *url.URL) func() {
	install()
	routesMu.Lock()
	routes[appID] = target
	routesMu.Unlock()
	return func() {
		routesMu.Lock()
		if routes[appID] == target {
			delete(routes, appID)
		}
		routesMu.Unlock()
	}
}
