// Package brokerctl keeps an external Mosquitto 2 broker's clients and roles
// in step with the cloud's stands through Mosquitto's dynamic-security
// control API ($CONTROL/dynamic-security/v1), so that the stand ACL of
// DESIGN §4 — a stand may publish only to its own up and state topics and
// subscribe only to its own down and config topics — is enforced by
// Mosquitto itself, wills included (Mosquitto checks a will as a publish
// when it sends it and silently drops a forbidden one).
//
// Each stand gets one dynsec client (username = client id = device id, its
// secret as password) and one role "qrstand-stand-<id>" with literal ACLs:
// Mosquitto 2.0.11 does not substitute %c/%u in role ACLs, so a shared
// role cannot name "own topic". The cloud's service identity gets the role
// "qrstand-cloud". Mosquitto stores only a salted PBKDF2 hash; the cloud
// stores only a SHA-256 of the secret, so a stand that exists in the
// database but not in Mosquitto cannot be synced from the hash: register it
// when its secret is minted (provisioning, re-key).
//
// The control API is documented in Mosquitto's
// plugins/dynamic-security/README.md (tag v2.0.11); facts tried on this
// machine are in /work/shared/reference/brokers.md §2.
package brokerctl
