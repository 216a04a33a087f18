// Package nodelink is a cloud node's one MQTT client (DESIGN.md §8).
//
// A node connects once, as the cloud's service identity with a client id
// of its own (nodes never take over each other's sessions), and
//   - consumes stand uplinks (qrs/v1/d/+/up) through one subscription,
//     shared ($share/<group>/qrs/v1/d/+/up) when several nodes serve the
//     same broker, so each uplink is handled by one node;
//   - reads every stand's presence (qrs/v1/d/+/state, never shared: every
//     node needs it);
//   - decodes each message once and hands it, by kind, to the queues the
//     node's parts (outbox, pairing, fleet status) registered with Route;
//   - publishes for all of them, and owns the goroutine that waits for
//     publish results.
//
// paho calls the message handler on its router goroutine, and the PUBACK
// of a message goes out when the handler returns; a handler that waited on
// a database would hold back every later PUBACK, and a broker stops
// delivering to a session whose unacknowledged messages reach its quota
// (mochi logs "client store quota reached" and drops them). So the handler
// only decodes and offers the message to bounded queues (Queue), which
// their owners drain on goroutines of their own. A full queue refuses the
// message: it is counted (qrstand_uplink_dropped_total) and its owner's
// Dropped hook is told, so it can make up for it (the outbox answers a lost
// hello with a sync anyway; a lost ack leaves its row pending, so the row
// is sent again and the stand acks the repeat).
package nodelink
