// Package mqtt is the wire contract between the QR Stand cloud and its stands:
// topic names, the message envelope, every message kind as a Go type with
// validation, and a strict codec. It imports only the standard library and
// oklog/ulid (message ids), so both sides link it without pulling in a broker
// or a client.
//
// # Topics
//
// Every stand has four topics under a versioned, per-device prefix. {id} is
// the stand's device id (see [ValidDeviceID]).
//
//	topic                      direction       QoS  retained  carries
//	qrs/v1/d/{id}/down         cloud → stand   1    no        payment.paid, payment.refunded, shift.closed,
//	                                                          stand.command, pair.code, sync
//	qrs/v1/d/{id}/config       cloud → stand   1    yes       store.config (the latest one wins)
//	qrs/v1/d/{id}/up           stand → cloud   1    no        ack, status, hello, pair.request, ledger,
//	                                                          update.state
//	qrs/v1/d/{id}/state        stand → cloud   1    yes       presence (online on connect; the last will
//	                                                          says offline)
//
// A stand may subscribe to exactly its own down and config topics and publish
// to exactly its own up and state topics: no wildcards, no $share, no $SYS
// (see [StandMaySubscribe], [StandMayPublish]). The cloud's service identity
// subscribes to qrs/v1/d/+/up and qrs/v1/d/+/state, optionally through a
// shared subscription ($share/{group}/...) when several cloud nodes consume
// uplinks, and publishes to any stand's down and config topics
// (see [ServiceMaySubscribe], [ServiceMayPublish]). Only presence and
// store.config are retained: a stand may set the retain flag only on its own
// state topic, the cloud only on a stand's config topic ([StandMayRetain],
// [ServiceMayRetain]); a will is held to the same rules as a publish.
//
// # Envelope
//
// Every payload is one JSON object:
//
//	{"v":1,"id":"01J…","type":"payment.paid","ts":"2026-11-25T04:05:06.789Z","seq":42,"body":{…}}
//
// v is the envelope version (1). id is a ULID, unique per message; an ack
// names the id it acknowledges. ts is when the sender created the message,
// in UTC. seq is optional: the cloud's per-stand outbox sequence for events
// that must be delivered exactly once (payments, refunds, shift slips); the
// stand reports the last seq it holds in hello. body is the kind's object.
//
// resent (optional, only with seq) marks an event the stand acknowledged
// once and has since lost: when a hello's last_seq is below a seq the stand
// acked (a journal that lost its tail, a damaged journal moved aside, a
// replaced SD card), the cloud sends those events again with resent set
// (see testdata/payment.paid.resent.json). The stand cannot know whether it
// already announced them, so it prints them as a catch-up labelled 补打
// with one spoken summary and never announces them one by one.
//
// # Delivery
//
// The cloud publishes events with QoS 1 and retries until the stand answers
// with an ack message on its up topic. The stand acks only after it has made
// the event durable in its journal (insert of the event id), so an ack means
// "the stand owns it now": announcing and printing then happen from the
// journal and survive a crash. A duplicate is acked again and does nothing
// else. A completed MQTT publish is not delivery; only the ack is.
//
// # Ledger
//
// After a journaled event is finished the stand sends a ledger report on
// its up topic: when it took the event (journaled, the moment it acked),
// how it was announced (spoken, in a catch-up summary, or why not: muted,
// quiet hours, speaker failed) and printed (printed, 补打 reprint, or why
// not: receipts off, paper out). A later report for the same ref replaces
// an earlier one (paper out → printed). The stand keeps unsent reports in
// its journal until the broker has them and sends them after reconnecting;
// the ack stays the only delivery signal.
//
// # Versioning rules
//
//   - Fields are added, never renamed, renumbered or given a new meaning.
//     Decoders ignore body fields they do not know, so an older stand keeps
//     working with a newer cloud.
//   - A new message kind is a new type string; a receiver that does not know
//     it gets [ErrUnknownType] and (on the stand) acks it as "ignored".
//   - A change that old receivers cannot ignore bumps the envelope version
//     and the topic prefix (qrs/v2/...), and the cloud serves both during the
//     migration. Receivers reject versions they do not speak with
//     [ErrUnsupportedVersion].
//
// Golden JSON for every kind lives in testdata/ and is checked by the tests;
// regenerate it with go test ./mqtt -run Golden -update.
//
// # Business units
//
// amount_fen on the wire is int64 fen; how fen become text ("12.50",
// "￥12.50"), the one strict yuan parser, the money maximum, the business
// zone (Asia/Shanghai) and day live in the sub-package [biz]. It imports
// only the standard library, and it is the one package of mqtt/ that
// display/ and printer/ may import.
//
// [biz]: https://pkg.go.dev/github.com/qrstand/qrstand/mqtt/biz
package mqtt
