// Package extauth is the cloud's HTTP authentication and authorization
// service for an EMQX 5 cluster in front of the stands (DESIGN §8): EMQX's
// HTTP authenticator calls Authenticate on every CONNECT and its HTTP
// authorization source calls Authorize on every PUBLISH (wills included:
// EMQX 5.0.9+ authorizes a will as a publish when it sends it) and
// SUBSCRIBE. The rules are the same pure functions the embedded broker
// uses (mqtt.StandMayPublish and friends).
//
// Request and response shapes follow EMQX's documentation
// (docs.emqx.com/en/emqx/latest/access-control/authn/http.html and
// …/authz/http.html): EMQX POSTs a JSON body rendered from the template in
// cloud/deploy/emqx/emqx.conf, and reads a 200 answer
// {"result":"allow"|"deny"} (authentication adds "is_superuser", always
// false here: a superuser would bypass authorization).
//
// Deny on error or timeout: a malformed request, a failing or slow
// database, an unknown identity — each gets an explicit 200 "deny",
// answered within Config.Timeout, which is kept below EMQX's own request
// timeout so EMQX never has to decide for us. EMQX itself is configured to
// fail closed too (the HTTP authenticator alone in the chain; the HTTP
// source alone, no_match = deny), so a cloud outage refuses stands instead
// of admitting them. Calls without the shared bearer token get 401.
package extauth
