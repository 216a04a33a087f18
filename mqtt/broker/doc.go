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
package broker
