// Package standlink is the cloud's MQTT side of the stand contract
// (package mqtt, DESIGN.md §4 and §7) for tenancy: it answers an unpaired
// stand's pair.request with a pair.code (a one-time code and the pairing
// URL the stand shows as a QR), and publishes store.config retained on a
// stand's config topic when it is paired and whenever anything it shows
// changes (store name, QR URL, announce and print settings).
//
// It also keeps the fleet's view of each stand: presence (the retained
// state topic), status (battery, paper, printer, pending events) and the
// ledger reports the stand sends per event, and raises the stand alerts
// staff opt in to (paper, battery low, offline during business hours),
// queued as official-account template rows in the outbox.
//
// It has no MQTT client of its own: the node's one client
// (cloud/internal/nodelink) routes it pair requests, hellos, status,
// ledger and update reports and presence through a bounded queue its Run
// drains, and publishes for it; the broker may be the embedded one or an
// external cluster.
package standlink
