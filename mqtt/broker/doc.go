// Package broker is QR Stand's embedded MQTT broker: mochi-mqtt
// (github.com/mochi-mqtt/server/v2) with the stand authentication, the
// per-stand ACL of DESIGN §4 and crash-safe session persistence.
//
// Who may connect:
//   - a stand: client id = username = its device id, password = its secret;
//     the secret's hash comes from a [StandLookup] that the cloud implements
//     over its database;
//   - the cloud's service identity: username [Config].ServiceUser, client id
//     equal to it or starting with it and a '-' (one per cloud node), password
//     checked against [Config].ServiceSecretHash.
//
// Everything else is refused at CONNECT, and every refusal (connect, subscribe,
// publish) is logged with the client, the topic and the reason.
//
// What a client can make the broker publish: every route passes one rule
// (authHook.mayPublish): the topic is one the client may publish to
// (mqtt.StandMayPublish, mqtt.ServiceMayPublish), QoS is at most 1, the
// retain flag only where retaining is allowed (a stand's own state topic,
// the cloud on a stand's config topic: mqtt.StandMayRetain,
// mqtt.ServiceMayRetain), a retained payload at most
// [Config].MaxRetainedSize, and an MQTT 5 response topic only one the
// sender may read. The routes:
//   - PUBLISH: mochi's write ACL sees the topic; the OnPublish hook then
//     checks the whole packet. A refused QoS 0 message is dropped, a refused
//     QoS 1 or 2 message disconnects the client.
//   - The will: mochi publishes a will (retained or not) with no ACL check,
//     and its OnWill hook cannot veto one, so the will is checked as a
//     PUBLISH at CONNECT and a will that fails refuses the CONNECT.
//   - Topic aliases are off (TopicAliasMaximum 0): mochi runs the write ACL
//     on the topic as sent, before an alias would be resolved.
//   - Subscriptions (with or without MQTT 5 subscription identifiers,
//     $share, $SYS, wildcards) pass the read ACL, and every delivery does
//     again, retained ones included.
//   - mochi's in-process (inline) client, which bypasses the ACL, is off.
//
// Before authentication: a packet larger than [Config].MaxPacketSize
// (default 16 KiB) closes the connection on its fixed header, before mochi
// allocates the body (a CONNECT declaring 256 MB costs nothing), and a
// connection has [Config].ConnectTimeout (default 10 s) to finish a TLS
// handshake and send CONNECT; mochi reads CONNECT with no deadline of its
// own. mochi allocates about 64 KiB per accepted socket (its outbound
// queue) before CONNECT, so at most [Config].MaxPendingConnects (default
// 1024) sockets per listener may be waiting for their CONNECT; beyond that
// a new connection is closed at once.
//
// Logs: mochi logs whole packets on several error paths (a refused QoS 1
// publish is logged with its payload as decimal bytes). Every line goes
// through a handler that turns packets into a summary (type, topic, QoS,
// retain, payload size), byte slices into their length, and cuts long
// strings (client ids and topics are the client's choice); warnings per
// client (or remote address) pass a token bucket of 10 lines, then one per
// 6 s, and the next line written says how many were held back.
//
// TLS: [Config].TLSAddr (or TLSListener) serves MQTT over TLS 1.2+ with the
// certificate in [Config].TLSCertFile and TLSKeyFile, re-read when either
// file changes. The plain listener must be on loopback unless
// [Config].PlainPublic: it carries stand secrets in clear.
//
// Persistence: with [Config].DataDir set, sessions, subscriptions, retained
// messages and queued QoS 1 messages are kept in a pebble database written in
// Sync mode, so a broker restart (or power cut) keeps what it had
// acknowledged. mochi's bolt and redis hooks lose packet ids on reload and are
// not used. The cloud's outbox stays the source of truth either way: it
// republishes anything a stand has not acked.
//
// Ordering: mochi v2.7.9 resends a reconnecting client's queued messages
// sorted by uint16(Created) with an unstable sort, where Created is a Unix
// time in seconds — so messages queued within the same second come out in
// random order. The order hook in this package stamps every QoS 1 message to
// a stand with a per-stand counter in Created instead, which makes the resend
// order the publish order. It relies on message expiry being off
// (MaximumMessageExpiryInterval = 0), which is right for us: a queued payment
// must not silently expire, and stale sessions are bounded by
// [Config].SessionExpiry.
//
// Packet ids: mochi v2.7.9 keeps a client's inbound and outbound QoS flows
// in one map keyed by packet id, so a stand publishing with the id of a
// delivery it has not acknowledged yet would drop that delivery from its
// session. The packet id hook sets such a delivery aside and puts it back
// (in memory and in the store).
package broker
