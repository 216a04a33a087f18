package ui

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientAddr is the address the login limiter counts: the peer, or, when
// the peer is this machine (the default 127.0.0.1 listener behind a
// reverse proxy such as nginx or Caddy), the last address the proxy
// appended to X-Forwarded-For. A remote peer's X-Forwarded-For is ignored:
// anyone can write one. IPv6 addresses count by their /64, which one
// customer usually holds whole.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap()
	if ip.IsLoopback() {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			parts := strings.Split(xff[len(xff)-1], ",")
			if fwd, err := netip.ParseAddr(strings.TrimSpace(parts[len(parts)-1])); err == nil {
				ip = fwd.Unmap()
			}
		}
	}
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}
