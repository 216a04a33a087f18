// Package urls builds the cloud's public URLs: what QR codes, pairing
// screens, messages and redirects hold. It depends on nothing of the cloud,
// so the pages, standlink and the server can all build links without
// needing one another.
package urls

import (
	"net/url"
	"strings"
)

// Builder builds URLs under one external base URL, e.g.
// "https://pay.example.com". The zero value builds paths relative to "".
type Builder struct {
	base string
}

// New returns a builder for base (a trailing slash is dropped). Callers
// validate base; ui.Config and server.Config do.
func New(base string) Builder {
	return Builder{base: strings.TrimRight(base, "/")}
}

// Base is the base URL without a trailing slash.
func (b Builder) Base() string { return b.base }

// Store is what a store's QR code holds (also sent in store.config).
func (b Builder) Store(token string) string { return b.base + "/s/" + token }

// Manage is a merchant's management code.
func (b Builder) Manage(token string) string { return b.base + "/m/" + token }

// Clerk is a clerk's own pay code.
func (b Builder) Clerk(token string) string { return b.base + "/c/" + token }

// Plate is a pre-printed QR plate.
func (b Builder) Plate(token string) string { return b.base + "/p/" + token }

// Activation is what an activation QR holds.
func (b Builder) Activation(role, scope, token string) string {
	return b.base + "/activate/" + role + "/" + scope + "/" + token
}

// Pair is what a stand's pairing QR holds.
func (b Builder) Pair(standID, code string) string {
	return b.base + "/pair?" + url.Values{"stand": {standID}, "code": {code}}.Encode()
}

// Order is an order's page (the pay result, the refund form).
func (b Builder) Order(outTradeNo string) string { return b.base + "/o/" + outTradeNo }

// StoreStands is a store's stands page, linked from stand alerts.
func (b Builder) StoreStands(storeID string) string { return b.base + "/store/" + storeID + "/stands" }
