package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"image"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "github.com/mattn/go-sqlite3" // the journal's driver, to read it back
	"periph.io/x/devices/v3/ssd1306/image1bit"

	"github.com/qrstand/qrstand/display"
	"github.com/qrstand/qrstand/firmware/internal/face"
	"github.com/qrstand/qrstand/firmware/internal/journal"
	"github.com/qrstand/qrstand/firmware/internal/outputs"
	"github.com/qrstand/qrstand/firmware/internal/speech"
	"github.com/qrstand/qrstand/firmware/internal/stand"
	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/standclient"
	"github.com/qrstand/qrstand/printer/escpos"
)

// vstand is one virtual stand: the real stand code, its real journal
// (synchronous=FULL) and MQTT client, with outputs that only record.
type vstand struct {
	id, secret, dir string
	s               *stand.Stand
	j               *journal.Journal
	cl              *standclient.Client
	an              *recAnnouncer
	pr              *recPrinter

	mu    sync.Mutex
	acked map[string]time.Time // event id → when the stand was about to ack it

	cancel context.CancelFunc
	exited chan struct{} // closed when Run returned
	err    error         // what Run returned, once exited is closed
}

// recPrinter keeps the text of every receipt.
type recPrinter struct {
	mu    sync.Mutex
	texts []string
}

func (p *recPrinter) Print(_ context.Context, job []byte) error {
	t := strings.Join(escpos.Lines(escpos.Decode(job)), "\n")
	p.mu.Lock()
	p.texts = append(p.texts, t)
	p.mu.Unlock()
	return nil
}

func (p *recPrinter) Paper() string { return mqtt.PaperOK }

func (p *recPrinter) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.texts)
}

func (p *recPrinter) all() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.texts...)
}

// recAnnouncer keeps the text of every announcement; it renders no sound.
type recAnnouncer struct {
	mu     sync.Mutex
	texts  []string
	volume int
}

var _ outputs.Announcer = (*recAnnouncer)(nil)

func (a *recAnnouncer) Announce(_ context.Context, u speech.Utterance) error {
	a.mu.Lock()
	a.texts = append(a.texts, u.Text)
	a.mu.Unlock()
	return nil
}
func (a *recAnnouncer) Say(ctx context.Context, u speech.Utterance) error { return a.Announce(ctx, u) }
func (a *recAnnouncer) Two() speech.TwoStyle                              { return speech.TwoEr }
func (a *recAnnouncer) Volume() int                                       { a.mu.Lock(); defer a.mu.Unlock(); return a.volume }
func (a *recAnnouncer) SetVolume(v int) error                             { a.mu.Lock(); a.volume = v; a.mu.Unlock(); return nil }

func (a *recAnnouncer) all() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.texts...)
}

// memPanel is a panel that draws nowhere: a load run has no screens.
type memPanel struct{}

func (memPanel) Bounds() image.Rectangle { return image.Rectangle{Max: display.Size250x122} }
func (memPanel) CanPartial() bool        { return true }
func (memPanel) Sleep() error            { return nil }
func (memPanel) Refresh(*image1bit.VerticalLSB, image.Rectangle, display.Mode) error {
	return nil
}

// startStand assembles and runs one virtual stand in dir.
func startStand(id, secret, broker, dir string, log *slog.Logger) (*vstand, error) {
	v := &vstand{id: id, secret: secret, dir: dir, an: &recAnnouncer{volume: 80}, pr: &recPrinter{},
		acked: map[string]time.Time{}, exited: make(chan struct{})}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	j, err := journal.Open(filepath.Join(dir, "journal.db"), time.Now)
	if err != nil {
		return nil, err
	}
	v.j = j
	d, err := display.New(memPanel{}, display.Config{})
	if err != nil {
		j.Close()
		return nil, err
	}
	f := face.New(d, face.Opts{FlashFor: 500 * time.Millisecond})
	cl, err := standclient.New(standclient.Config{
		Broker: broker, DeviceID: id, Secret: secret, StoreDir: filepath.Join(dir, "mqtt"),
		MinBackoff: 100 * time.Millisecond, MaxBackoff: 2 * time.Second, Logger: log,
	})
	if err != nil {
		j.Close()
		return nil, err
	}
	v.cl = cl
	s, err := stand.New(stand.Config{DeviceID: id, Firmware: "load", Log: log,
		// AfterJournal runs right before the ack is published: the
		// stand's side of "notify → ack".
		Hook: func(p stand.Point, ids []string) error {
			if p == stand.AfterJournal {
				now := time.Now()
				v.mu.Lock()
				for _, id := range ids {
					if _, ok := v.acked[id]; !ok {
						v.acked[id] = now
					}
				}
				v.mu.Unlock()
			}
			return nil
		}},
		stand.Deps{Journal: j, Uplink: cl, Face: f, Printer: v.pr, Announcer: v.an})
	if err != nil {
		j.Close()
		return nil, err
	}
	v.s = s
	ctx, cancel := context.WithCancel(context.Background())
	v.cancel = cancel
	go func() { v.err = s.Run(ctx); close(v.exited) }()
	return v, nil
}

// stop ends the stand and closes its journal.
func (v *vstand) stop() {
	v.cancel()
	select {
	case <-v.exited:
	case <-time.After(10 * time.Second):
	}
	v.j.Close()
}

// died reports why the stand stopped by itself, or nil while it runs.
func (v *vstand) died() error {
	select {
	case <-v.exited:
		if v.err == nil {
			return fmt.Errorf("stand %s stopped", v.id)
		}
		return fmt.Errorf("stand %s stopped: %w", v.id, v.err)
	default:
		return nil
	}
}

// setting reads a journal setting as JSON into out.
func (v *vstand) setting(key string, out any) bool {
	b, err := v.j.Setting(context.Background(), key)
	return err == nil && json.Unmarshal(b, out) == nil
}

// journalRow is one payment as the stand's journal has it.
type journalRow struct {
	id, orderNo, state string
	reprint, resent    bool
	catchUp            bool // arrived after the announce window: in a summary, not said alone
}

// payments reads every payment.paid event in the stand's journal, from
// the file, after the stand has stopped.
func (v *vstand) payments() ([]journalRow, error) {
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(v.dir, "journal.db")+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.Query(`SELECT id, state, reprint, resent, catchup, body FROM events WHERE kind = ?`, string(mqtt.KindPaymentPaid))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []journalRow
	for rows.Next() {
		var r journalRow
		var payload []byte
		if err := rows.Scan(&r.id, &r.state, &r.reprint, &r.resent, &r.catchUp, &payload); err != nil {
			return nil, err
		}
		m, err := mqtt.Unmarshal(payload)
		if err != nil {
			return nil, fmt.Errorf("journal %s: event %s: %w", v.id, r.id, err)
		}
		p, ok := m.Body.(*mqtt.PaymentPaid)
		if !ok {
			return nil, fmt.Errorf("journal %s: event %s is %T", v.id, r.id, m.Body)
		}
		r.orderNo = p.OrderNo
		out = append(out, r)
	}
	return out, rows.Err()
}
