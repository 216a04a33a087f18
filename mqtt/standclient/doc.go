// Package standclient is the stand's side of the wire: an MQTT client
// (github.com/eclipse/paho.mqtt.golang) that makes the delivery promise of
// DESIGN §5 the easy path.
//
//   - Fixed client id (= device id), clean session off, and a file store, so
//     the broker keeps the stand's queue while it is away and the stand's own
//     unacknowledged uplinks survive a reboot. The store is mqtt/pahostore,
//     not paho's FileStore (which panics on a full disk): a write it cannot
//     make is logged and kept in memory until the disk takes it
//     ([Client.StoreErr]).
//   - Handlers are registered per message kind with [Client.Handle]. A
//     message is acknowledged — the MQTT PUBACK and the application-level ack
//     message on the up topic — only after its handler returned nil; the
//     handler makes the event durable first. A handler error leaves the
//     message unacknowledged: the broker redelivers it on the next connection
//     and the cloud's outbox resends it.
//   - A kind without a handler is acked as "ignored" and logged; a payload
//     that does not decode is acked as "rejected" when its id is readable and
//     logged either way, so one bad message never blocks the queue.
//   - A mqtts:// (ssl://, tls://) broker is verified: its certificate must
//     chain to the pinned CA in [Config].CA, or to the system roots, and name
//     the host dialled; skipping verification is refused. tcp:// is plain.
//   - Reconnects use exponential backoff with full jitter, so a fleet that
//     lost its broker does not come back in lockstep.
//   - The last will marks the stand offline on its retained state topic; a
//     connect marks it online; a clean Run exit marks it offline too.
//   - Subscriptions are made in the on-connect handler, and the same
//     dispatcher is the default handler, so messages a persistent session
//     delivers before the SUBACK are not lost. The OnConnect hooks (hello)
//     and the online presence wait for the SUBACK, so a cloud that flushes
//     on hello never publishes into a session that is not subscribed yet.
package standclient
