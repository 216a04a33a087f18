// Package storage is the cloud's one storage API over SQLite or PostgreSQL.
// Tenancy rules that must hold under concurrency live here, inside
// transactions: single-use activation codes, the last refund-capable admin,
// the shift rule, blank-plate and stand binding, refund rights for
// managers and admins only, and the console login limiter shared by every
// node (login_limit.go). Methods take the current
// time as an argument so tests control it; times are stored in UTC.
//
// Several cloud nodes may share one PostgreSQL database: work they share
// (outbox rows, the reconciler's orders and refunds) is split by claims —
// FOR UPDATE SKIP LOCKED plus a lease column — recorded for the node named
// with ForNode (see claims.go and ClaimOutbox).
package storage
