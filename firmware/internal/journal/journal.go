package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3" // the SQLite driver (cgo)

	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/biz"
)

// State is where an event is in the pipeline.
type State string

// The states of DESIGN §5.
const (
	New      State = "new"      // journaled and acked; not announced yet
	Printing State = "printing" // announced; the receipt may be on paper
	Done     State = "done"     // printed (or nothing to print)
)

// Event is one journaled message from the cloud.
type Event struct {
	Seqno      int64 // local insertion order
	ID         string
	Kind       mqtt.Kind
	OutboxSeq  int64 // the cloud's per-stand sequence (0 = none)
	State      State
	CatchUp    bool  // too old when it arrived: summarised, not spoken alone
	Batch      int64 // catch-up batch it was printed in (0 = none)
	Reprint    bool  // printed again after a crash (labelled 补打)
	Resent     bool  // sent again by the cloud after this stand lost it (labelled 补打)
	Fen        int64 // amount: paid, or refunded (payments and refunds)
	Channel    string
	EventAt    time.Time // paid_at, refunded_at, shift end; UTC
	ReceivedAt time.Time
	Payload    []byte // the envelope as received
}

// Message decodes the stored envelope.
func (e Event) Message() (mqtt.Message, error) { return mqtt.Unmarshal(e.Payload) }

// Journal is the stand's event journal. It is safe for concurrent use.
type Journal struct {
	db    *sql.DB // synchronous=FULL: a write is on disk when it returns
	lazy  *sql.DB // synchronous=NORMAL, for SetSettingLazy only
	gate  *gate   // one writer at a time, inserts first
	now   func() time.Time
	aside *MovedAside
}

// MovedAside describes a damaged journal that Open moved out of the way.
type MovedAside struct {
	Path   string // where the damaged database (and its -wal, -shm) went
	Reason string // what the check found
}

func (m *MovedAside) String() string {
	return fmt.Sprintf("damaged journal (%s) moved aside to %s", m.Reason, m.Path)
}

// Open opens (creating if needed) the journal at path. now is the clock
// (nil: time.Now).
//
// An existing journal is checked first (PRAGMA quick_check). A damaged one
// is never used: it is renamed to path.damaged-<UTC time> (with its -wal and
// -shm files), kept for inspection, and a fresh journal is started in its
// place; [Journal.MovedAside] then tells the caller, which says so loudly.
// The stand's next hello reports last_seq 0 and the cloud resends what it
// had delivered (mqtt envelope "resent"). Errors that are not damage — a
// full disk, a permission, a lock — are returned as they are: moving a
// sound journal aside would throw away its history.
func Open(path string, now func() time.Time) (*Journal, error) {
	if now == nil {
		now = time.Now
	}
	reason, err := check(path)
	if err != nil {
		return nil, fmt.Errorf("journal: check %s: %w", path, err)
	}
	var aside *MovedAside
	if reason != "" {
		to, err := moveAside(path, now())
		if err != nil {
			return nil, fmt.Errorf("journal: %s is damaged (%s) and cannot be moved aside: %w", path, reason, err)
		}
		aside = &MovedAside{Path: to, Reason: reason}
	}
	if err := createPrivate(path); err != nil {
		return nil, fmt.Errorf("journal: create %s: %w", path, err)
	}
	db, err := openDB(path)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var mode string
	if err := db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
		db.Close()
		return nil, fmt.Errorf("journal: open %s: %w", path, err)
	}
	if !strings.EqualFold(mode, "wal") {
		db.Close()
		return nil, fmt.Errorf("journal: %s: journal_mode is %q, want wal", path, mode)
	}
	if err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	lazy, err := openLazyDB(path)
	if err != nil {
		db.Close()
		return nil, err
	}
	return &Journal{db: db, lazy: lazy, gate: newGate(), now: now, aside: aside}, nil
}

// createPrivate creates the journal file readable by its owner only, if it
// does not exist yet: it holds payments and the store binding. SQLite gives
// its -wal and -shm files the mode of the database file.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return f.Close()
}

func openDB(path string) (*sql.DB, error) {
	db, err := sqliteDB(path, "FULL")
	if err != nil {
		return nil, err
	}
	// Two connections: a read (the worker's, the status's) never holds up
	// an insert waiting for the writer's turn. Writes take turns in the
	// gate, so SQLite's own locking never makes one wait.
	db.SetMaxOpenConns(2)
	return db, nil
}

// openLazyDB opens the connection SetSettingLazy writes through. It is a
// pool of its own so that no connection of db is ever switched away from
// synchronous=FULL.
func openLazyDB(path string) (*sql.DB, error) {
	db, err := sqliteDB(path, "NORMAL")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

func sqliteDB(path, synchronous string) (*sql.DB, error) {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", synchronous)
	q.Set("_busy_timeout", "5000")
	q.Set("_txlock", "immediate")
	q.Set("_foreign_keys", "1")
	db, err := sql.Open("sqlite3", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("journal: open %s: %w", path, err)
	}
	return db, nil
}

// check runs PRAGMA quick_check on the journal at path, if there is one,
// and returns what it found wrong ("" when the database is sound), or an
// error that says nothing about damage. The connection is read-only, so
// closing it neither checkpoints the WAL into a damaged file nor deletes
// the WAL: both are kept as they were for whoever looks at them later.
func check(path string) (string, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		return "", err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rows, err := db.QueryContext(ctx, `PRAGMA quick_check`)
	if err != nil {
		if damaged(err) {
			return err.Error(), nil
		}
		return "", err
	}
	defer rows.Close()
	var found []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return "", err
		}
		if line != "ok" && len(found) < 3 {
			found = append(found, line)
		}
	}
	if err := rows.Err(); err != nil {
		if damaged(err) {
			return err.Error(), nil
		}
		return "", err
	}
	return strings.Join(found, "; "), nil
}

// damaged reports whether err is SQLite saying the file is not a sound
// database (as opposed to I/O, space, permission or locking trouble).
func damaged(err error) bool {
	var se sqlite3.Error
	if errors.As(err, &se) {
		return se.Code == sqlite3.ErrCorrupt || se.Code == sqlite3.ErrNotADB
	}
	return false
}

// moveAside renames path and its WAL and shared-memory files to
// path.damaged-<UTC time>.
func moveAside(path string, now time.Time) (string, error) {
	to := path + ".damaged-" + now.UTC().Format("20060102T150405Z")
	for i := 2; ; i++ {
		if _, err := os.Lstat(to); errors.Is(err, os.ErrNotExist) {
			break
		}
		to = fmt.Sprintf("%s.damaged-%s-%d", path, now.UTC().Format("20060102T150405Z"), i)
	}
	if err := os.Rename(path, to); err != nil {
		return "", err
	}
	for _, ext := range []string{"-wal", "-shm"} {
		if err := os.Rename(path+ext, to+ext); err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
	}
	return to, nil
}

// MovedAside reports the damaged journal Open moved out of the way before
// starting this one (nil when the journal was sound or new).
func (j *Journal) MovedAside() *MovedAside { return j.aside }

// Close closes the database.
func (j *Journal) Close() error { return errors.Join(j.lazy.Close(), j.db.Close()) }

// Insert journals e in state New. It reports false, with no error, when an
// event with the same id is already there (a duplicate delivery): nothing
// is changed then.
func (j *Journal) Insert(ctx context.Context, e Event) (bool, error) {
	if e.ID == "" || e.Kind == "" {
		return false, fmt.Errorf("journal: insert: id and kind are required")
	}
	if e.ReceivedAt.IsZero() {
		e.ReceivedAt = j.now()
	}
	if e.EventAt.IsZero() {
		e.EventAt = e.ReceivedAt
	}
	j.gate.lockInsert()
	defer j.gate.unlock()
	res, err := j.db.ExecContext(ctx, `INSERT INTO events
		(id, kind, outbox_seq, state, catchup, resent, fen, channel, event_at, received_at, day, body)
		VALUES (?, ?, ?, 'new', ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(id) DO NOTHING`,
		e.ID, string(e.Kind), e.OutboxSeq, e.CatchUp, e.Resent, e.Fen, e.Channel,
		biz.FormatTS(e.EventAt), biz.FormatTS(e.ReceivedAt), biz.Day(e.EventAt), e.Payload)
	if err != nil {
		return false, fmt.Errorf("journal: insert %s: %w", e.ID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("journal: insert %s: %w", e.ID, err)
	}
	return n == 1, nil
}

const cols = `seqno, id, kind, outbox_seq, state, catchup, batch, reprint, resent, fen, channel, event_at, received_at, body`

func scan(row interface{ Scan(...any) error }) (Event, error) {
	var e Event
	var kind, state, eventAt, receivedAt string
	err := row.Scan(&e.Seqno, &e.ID, &kind, &e.OutboxSeq, &state, &e.CatchUp, &e.Batch, &e.Reprint, &e.Resent,
		&e.Fen, &e.Channel, &eventAt, &receivedAt, &e.Payload)
	if errors.Is(err, sql.ErrNoRows) {
		return e, ErrNotFound
	}
	if err != nil {
		return e, fmt.Errorf("journal: %w", err)
	}
	e.Kind, e.State = mqtt.Kind(kind), State(state)
	e.EventAt, e.ReceivedAt = biz.ParseTS(eventAt), biz.ParseTS(receivedAt)
	return e, nil
}

func (j *Journal) query(ctx context.Context, q string, args ...any) ([]Event, error) {
	rows, err := j.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		e, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	return out, nil
}

// Unfinished returns every event not yet done, oldest first.
func (j *Journal) Unfinished(ctx context.Context) ([]Event, error) {
	return j.query(ctx, `SELECT `+cols+` FROM events WHERE state != 'done' ORDER BY seqno`)
}

// Get returns the event with id.
func (j *Journal) Get(ctx context.Context, id string) (Event, error) {
	return scan(j.db.QueryRowContext(ctx, `SELECT `+cols+` FROM events WHERE id = ?`, id))
}

// Last returns the most recently received event of one of kinds.
func (j *Journal) Last(ctx context.Context, kinds ...mqtt.Kind) (Event, error) {
	if len(kinds) == 0 {
		return Event{}, ErrNotFound
	}
	ph := strings.TrimSuffix(strings.Repeat("?,", len(kinds)), ",")
	args := make([]any, len(kinds))
	for i, k := range kinds {
		args[i] = string(k)
	}
	return scan(j.db.QueryRowContext(ctx,
		`SELECT `+cols+` FROM events WHERE kind IN (`+ph+`) ORDER BY seqno DESC LIMIT 1`, args...))
}

// transition moves ids from one state to the next in one transaction; every
// id must be in from.
func (j *Journal) transition(ctx context.Context, from, to State, set string, args []any, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	j.gate.lockOther()
	defer j.gate.unlock()
	tx, err := j.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("journal: %s: %w", to, err)
	}
	defer tx.Rollback()
	q := `UPDATE events SET state = ?` + set + ` WHERE id = ? AND state = ?`
	for _, id := range ids {
		a := append(append([]any{string(to)}, args...), id, string(from))
		res, err := tx.ExecContext(ctx, q, a...)
		if err != nil {
			return fmt.Errorf("journal: %s %s: %w", to, id, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("journal: %s %s: %w (want %s)", to, id, ErrState, from)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("journal: %s: %w", to, err)
	}
	return nil
}

// MarkPrinting moves ids from New to Printing, recording the catch-up batch
// they are printed in (0 for none). Call it after announcing and before
// printing.
func (j *Journal) MarkPrinting(ctx context.Context, batch int64, ids ...string) error {
	return j.transition(ctx, New, Printing, `, batch = ?`, []any{batch}, ids)
}

// MarkDone moves ids from Printing to Done. reprinted records that the
// receipt that came out was a 补打 reprint.
func (j *Journal) MarkDone(ctx context.Context, reprinted bool, ids ...string) error {
	return j.transition(ctx, Printing, Done, `, done_at = ?, reprint = reprint OR ?`, []any{biz.FormatTS(j.now()), reprinted}, ids)
}

// NextBatch returns a fresh catch-up batch number.
func (j *Journal) NextBatch(ctx context.Context) (int64, error) {
	var n int64
	if err := j.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(batch), 0) + 1 FROM events`).Scan(&n); err != nil {
		return 0, fmt.Errorf("journal: next batch: %w", err)
	}
	return n, nil
}

// LastSeq is the highest outbox sequence journaled, for hello.
func (j *Journal) LastSeq(ctx context.Context) (int64, error) {
	var n int64
	if err := j.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(outbox_seq), 0) FROM events`).Scan(&n); err != nil {
		return 0, fmt.Errorf("journal: last seq: %w", err)
	}
	return n, nil
}

// Totals are one day's payments and refunds.
type Totals struct {
	Day         string
	Count       int64
	TotalFen    int64
	RefundCount int64
	RefundFen   int64
	ByChannel   map[string][2]int64 // channel → {count, fen}
}

// NetFen is 实收.
func (t Totals) NetFen() int64 { return t.TotalFen - t.RefundFen }

// DayTotals sums the payments and refunds of the Shanghai day containing t.
func (j *Journal) DayTotals(ctx context.Context, t time.Time) (Totals, error) {
	tot := Totals{Day: biz.Day(t), ByChannel: map[string][2]int64{}}
	rows, err := j.db.QueryContext(ctx, `SELECT kind, channel, COUNT(*), COALESCE(SUM(fen), 0)
		FROM events WHERE day = ? AND kind IN (?, ?) GROUP BY kind, channel`,
		tot.Day, string(mqtt.KindPaymentPaid), string(mqtt.KindPaymentRefunded))
	if err != nil {
		return tot, fmt.Errorf("journal: totals: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var kind, ch string
		var n, fen int64
		if err := rows.Scan(&kind, &ch, &n, &fen); err != nil {
			return tot, fmt.Errorf("journal: totals: %w", err)
		}
		if mqtt.Kind(kind) == mqtt.KindPaymentPaid {
			tot.Count += n
			tot.TotalFen += fen
			tot.ByChannel[ch] = [2]int64{n, fen}
		} else {
			tot.RefundCount += n
			tot.RefundFen += fen
		}
	}
	if err := rows.Err(); err != nil {
		return tot, fmt.Errorf("journal: totals: %w", err)
	}
	return tot, nil
}

// Setting returns the value stored under key, or ErrNotFound.
func (j *Journal) Setting(ctx context.Context, key string) ([]byte, error) {
	var v []byte
	err := j.db.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("journal: setting %s: %w", key, err)
	}
	return v, nil
}

// SetSetting stores value under key (nil deletes it), on disk when it
// returns.
func (j *Journal) SetSetting(ctx context.Context, key string, value []byte) error {
	return j.setSetting(ctx, j.db, key, value)
}

// SetSettingLazy stores value under key (nil deletes it) without waiting
// for the disk: the write survives a crash of the process at once, and a
// power cut once the journal's next synced write (an insert, a state
// change) has reached the disk, since SQLite's WAL is synced as a whole.
// It is for state the stand may lose to a power cut, never for anything
// an ack or a receipt depends on (the unsent ledger reports).
func (j *Journal) SetSettingLazy(ctx context.Context, key string, value []byte) error {
	return j.setSetting(ctx, j.lazy, key, value)
}

func (j *Journal) setSetting(ctx context.Context, db *sql.DB, key string, value []byte) error {
	j.gate.lockOther()
	defer j.gate.unlock()
	var err error
	if value == nil {
		_, err = db.ExecContext(ctx, `DELETE FROM settings WHERE key = ?`, key)
	} else {
		_, err = db.ExecContext(ctx, `INSERT INTO settings(key, value) VALUES (?, ?)
			ON CONFLICT(key) DO UPDATE SET value = excluded.value`, key, value)
	}
	if err != nil {
		return fmt.Errorf("journal: set %s: %w", key, err)
	}
	return nil
}
