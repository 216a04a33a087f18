// Package ui serves the cloud's pages: the provider console (password
// login) and the phone pages staff and customers open from QR codes in
// WeChat (OAuth openid). One handler per file, named noun_verb; templates
// are embedded and all parsed by New, so a broken view fails at start-up.
//
// Every handler loads its target and checks the caller's roles (package
// authz); a denial is the same 404 page as a missing target, so it reveals
// nothing. Pages never show internal error text; the log gets it, naming
// the route pattern (Handler.Route), never the path, which carries tokens.
// State-changing requests pass http.CrossOriginProtection and a form token
// bound to the browser and its sessions (csrf.go); the console login is
// limited per storage.LoginPolicy. cloud/docs/threats-web.md has the table.
//
// Links come from package urls. What the pages use but do not own (the
// stand notifier, the payment service, the sandbox pay sheet, the
// credential hooks) is built first and passed in Options; nothing is set
// on the handler after New.
package ui
