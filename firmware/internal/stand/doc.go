// Package stand is the QR stand's core: it keeps the stand in sync with the
// cloud over mqtt/standclient and turns every delivered event into an
// announcement, a receipt and a flash on the screen, exactly once, through
// crashes (DESIGN §5, §7; the wire in mqtt/doc.go).
//
// The order of work for a payment:
//
//	handler: journal insert (unique id) → return nil → standclient acks
//	worker:  announce → mark printing → print → mark done
//
// A crash after the insert leaves the event new: on restart it is announced
// and printed normally. A crash after "mark printing" leaves it printing: on
// restart its receipt is printed again labelled 补打 and it is not announced
// again. The one window where a clerk may hear a payment twice is a crash
// between the end of the announcement and the "printing" write — one SQLite
// commit long.
//
// Payments older than the announce window when they reach the stand (it was
// offline) are collected into a catch-up batch: one spoken summary
// (speech.OfflineSummary) and one printed catch-up list. The batch closes
// when the count the cloud announced with sync has arrived or when no stale
// event came for CatchUpSettle.
//
// An event the cloud resent because this stand lost it (mqtt envelope
// "resent": the hello's last_seq was below what it had acked) may have been
// announced before the loss, so it is never announced alone: resent
// payments join the catch-up (one summary for the whole catch-up) in a list
// of their own labelled 补打; resent refunds and shift slips print labelled
// 补打; a resent command does not run.
//
// A journal write that fails (a full disk) is retried from the journal
// state; what this run already said or printed for the event is remembered
// in memory so the retry does not repeat it, and the failure is logged once
// a minute at most. A journal that Open found damaged and moved aside is
// reported at ERROR when the stand starts.
// When an event is finished (or its print fails for want of paper) the
// stand sends a ledger report (mqtt.Ledger): when it journaled, announced
// and printed it, or why not. Reports wait in order, kept in the journal's
// settings, until the broker has them, and go out after every reconnect.
//
// Hooks let tests stop the pipeline dead at the crash points, exactly as a
// power cut would, and restart a stand on the same data directory.
package stand
