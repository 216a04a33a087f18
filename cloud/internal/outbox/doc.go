// Package outbox delivers the rows the payment transactions (and a clerk's
// clock-out, whose 交班单 is a shift.closed row) write (DESIGN.md §5): stand rows are published with MQTT QoS 1 on the stand's
// down topic and retried with exponential backoff until the stand's
// application-level ack (an ack message on its up topic whose ref is the
// row's envelope id) marks them delivered — a completed publish token is not
// delivery; when a stand says hello it gets a sync {pending, through_seq}
// and then all of its pending rows at once. A hello whose last_seq is below
// rows the stand acked (it lost them) first puts those rows back to pending
// with their envelope marked resent (see mqtt's doc), so they are delivered
// again like any row; acks that match no pending row are counted by reason
// and logged at debug only. Template rows are official-account
// template messages, sent with github.com/silenceper/wechat/v2 by the official
// account of the row's provider (OfficialAccounts) with the row id as
// client_msg_id so WeChat drops a repeat.
//
// The dispatcher has no MQTT client of its own: the node's one client
// (cloud/internal/nodelink) routes it acks, hellos and presence through a
// bounded queue, and publishes for it. Stands are sent to in parallel,
// each stand's rows in seq order under a per-stand lock with at most
// MaxInFlight unacked; acks are written in batches.
//
// Rows are claimed with FOR UPDATE SKIP LOCKED on PostgreSQL (a plain
// exclusive write transaction on SQLite) and pushed back by the backoff as
// they are claimed, so several cloud nodes can run a dispatcher each and a
// restart loses nothing: the database is the source of truth.
package outbox
