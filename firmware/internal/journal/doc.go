// Package journal is the stand's durable record of every event the cloud
// delivered: a SQLite database (github.com/mattn/go-sqlite3, WAL,
// synchronous=FULL) in which each event id is unique and each event moves
// through the states of DESIGN §5:
//
//	new ──announce──▶ printing ──print──▶ done
//
// Insert is the moment the stand owns an event: the MQTT handler inserts and
// returns, and only then is the event acknowledged. Announcing and printing
// happen later, from the journal, so they survive a crash. On restart an
// event still new is processed normally; one caught in printing may or may
// not have come out of the printer, so it is reprinted labelled 补打 — never
// dropped, never silently repeated.
//
// The journal also keeps the stand's small settings (the last store.config,
// the pairing code) and answers the local history questions the buttons ask:
// the last payment, a payment by id, today's total (day in Asia/Shanghai).
//
// Open checks an existing journal with PRAGMA quick_check on a read-only
// connection; a damaged one is renamed aside (journal.db.damaged-<time>,
// with its -wal and -shm) rather than used, and a fresh journal starts
// ([Journal.MovedAside] says where and why). Its events come back from the
// cloud, marked resent, because hello then reports last_seq 0.
package journal
