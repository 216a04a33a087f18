package loadkit

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"periph.io/x/devices/v3/ssd1306/image1bit"

	"github.com/qrstand/qrstand/display"
	"github.com/qrstand/qrstand/firmware/internal/face"
	"github.com/qrstand/qrstand/firmware/internal/journal"
	"github.com/qrstand/qrstand/firmware/internal/speech"
	"github.com/qrstand/qrstand/firmware/internal/stand"
	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/standclient"
	"github.com/qrstand/qrstand/printer/escpos"
)

// Files a stand's record is appended to, one JSON string a line.
const (
	saidFile     = "said.log"
	receiptsFile = "receipts.log"
)

// StandConfig is one virtual stand.
type StandConfig struct {
	ID, Secret string
	Broker     string // the URL it dials (the broker, or a proxy in front of it)
	Dir        string // its journal, MQTT session and record
	Log        *slog.Logger
	// Hook is the stand's crash-point hook (stand.Config.Hook), called
	// after the load's own bookkeeping; nil: none.
	Hook func(stand.Point, []string) error
}

// Stand is one virtual stand: the real stand code, its real journal
// (synchronous=FULL) and MQTT client, with outputs that only record.
type Stand struct {
	ID  string
	Dir string
	cl  *standclient.Client
	j   *journal.Journal
	an  *recorder
	pr  *recorder

	mu    sync.Mutex
	acked map[string]time.Time // event id → when the stand was about to ack it
	syncs int                  // sync messages received (one per hello the cloud answered)

	cancel context.CancelFunc
	exited chan struct{} // closed when Run returned
	err    error         // what Run returned, once exited is closed
}

// recorder appends each record to a file as it happens and counts them.
type recorder struct {
	mu sync.Mutex
	f  *os.File
	n  int
}

func openRecorder(path string) (*recorder, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	return &recorder{f: f}, nil
}

func (r *recorder) add(text string) error {
	line, _ := json.Marshal(text)
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, err := r.f.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("loadkit: record: %w", err)
	}
	r.n++
	return nil
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

// readRecords reads a record file back; a missing file is empty.
func readRecords(path string) ([]string, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		var s string
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			// A torn last line (a kill mid-write) is not a record.
			continue
		}
		out = append(out, s)
	}
	return out, sc.Err()
}

// recPrinter keeps the text of every receipt.
type recPrinter struct{ *recorder }

func (p recPrinter) Print(_ context.Context, job []byte) error {
	return p.add(strings.Join(escpos.Lines(escpos.Decode(job)), "\n"))
}

func (recPrinter) Paper() string { return mqtt.PaperOK }

// recAnnouncer keeps the text of every announcement; it renders no sound.
type recAnnouncer struct {
	*recorder
	vmu    sync.Mutex
	volume int
}

func (a *recAnnouncer) Announce(_ context.Context, u speech.Utterance) error { return a.add(u.Text) }
func (a *recAnnouncer) Say(ctx context.Context, u speech.Utterance) error    { return a.Announce(ctx, u) }
func (a *recAnnouncer) Two() speech.TwoStyle                                 { return speech.TwoEr }
func (a *recAnnouncer) Volume() int                                          { a.vmu.Lock(); defer a.vmu.Unlock(); return a.volume }
func (a *recAnnouncer) SetVolume(v int) error {
	a.vmu.Lock()
	a.volume = v
	a.vmu.Unlock()
	return nil
}

// memPanel is a panel that draws nowhere: a load run has no screens.
type memPanel struct{}

func (memPanel) Bounds() image.Rectangle { return image.Rectangle{Max: display.Size250x122} }
func (memPanel) CanPartial() bool        { return true }
func (memPanel) Sleep() error            { return nil }
func (memPanel) Refresh(*image1bit.VerticalLSB, image.Rectangle, display.Mode) error {
	return nil
}

// syncCounter is the stand's uplink with its sync messages counted.
type syncCounter struct {
	*standclient.Client
	v *Stand
}

func (u syncCounter) Handle(k mqtt.Kind, h standclient.HandlerFunc) {
	if k == mqtt.KindSync {
		next := h
		h = func(ctx context.Context, m mqtt.Message) error {
			u.v.mu.Lock()
			u.v.syncs++
			u.v.mu.Unlock()
			return next(ctx, m)
		}
	}
	u.Client.Handle(k, h)
}

// StartStand assembles and runs one virtual stand in c.Dir (a folder a
// stopped or killed stand left is taken up again: journal, MQTT session
// and record).
func StartStand(c StandConfig) (*Stand, error) {
	v := &Stand{ID: c.ID, Dir: c.Dir, acked: map[string]time.Time{}, exited: make(chan struct{})}
	log := c.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return nil, err
	}
	var err error
	if v.an, err = openRecorder(filepath.Join(c.Dir, saidFile)); err != nil {
		return nil, err
	}
	if v.pr, err = openRecorder(filepath.Join(c.Dir, receiptsFile)); err != nil {
		v.an.f.Close()
		return nil, err
	}
	fail := func(err error) (*Stand, error) {
		v.an.f.Close()
		v.pr.f.Close()
		if v.j != nil {
			v.j.Close()
		}
		return nil, err
	}
	if v.j, err = journal.Open(filepath.Join(c.Dir, "journal.db"), time.Now); err != nil {
		return fail(err)
	}
	d, err := display.New(memPanel{}, display.Config{})
	if err != nil {
		return fail(err)
	}
	f := face.New(d, face.Opts{FlashFor: 500 * time.Millisecond})
	v.cl, err = standclient.New(standclient.Config{
		Broker: c.Broker, DeviceID: c.ID, Secret: c.Secret, StoreDir: filepath.Join(c.Dir, "mqtt"),
		MinBackoff: 100 * time.Millisecond, MaxBackoff: 2 * time.Second, Logger: log,
	})
	if err != nil {
		return fail(err)
	}
	s, err := stand.New(stand.Config{DeviceID: c.ID, Firmware: "load", Log: log,
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
			if c.Hook != nil {
				return c.Hook(p, ids)
			}
			return nil
		}},
		stand.Deps{Journal: v.j, Uplink: syncCounter{v.cl, v}, Face: f, Printer: recPrinter{v.pr}, Announcer: &recAnnouncer{recorder: v.an, volume: 80}})
	if err != nil {
		return fail(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	v.cancel = cancel
	go func() { v.err = s.Run(ctx); close(v.exited) }()
	return v, nil
}

// Stop ends the stand and closes its journal and record; it may be
// called more than once.
func (v *Stand) Stop() {
	v.cancel()
	select {
	case <-v.exited:
	case <-time.After(10 * time.Second):
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.j != nil {
		v.j.Close()
		v.an.f.Close()
		v.pr.f.Close()
		v.j = nil
	}
}

// Died reports why the stand stopped by itself, or nil while it runs.
func (v *Stand) Died() error {
	select {
	case <-v.exited:
		if v.err == nil {
			return fmt.Errorf("loadkit: stand %s stopped", v.ID)
		}
		return fmt.Errorf("loadkit: stand %s stopped: %w", v.ID, v.err)
	default:
		return nil
	}
}

// Connected reports whether the stand's MQTT client is connected.
func (v *Stand) Connected() bool { return v.cl.Connected() }

// Printed is how many receipts the stand printed so far.
func (v *Stand) Printed() int { return v.pr.count() }

// Syncs is how many sync messages the stand received so far.
func (v *Stand) Syncs() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.syncs
}

// Acked returns event id → when the stand was about to ack it.
func (v *Stand) Acked() map[string]time.Time {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make(map[string]time.Time, len(v.acked))
	for k, t := range v.acked {
		out[k] = t
	}
	return out
}

// Setting reads a journal setting as JSON into out.
func (v *Stand) Setting(key string, out any) bool {
	v.mu.Lock()
	j := v.j
	v.mu.Unlock()
	if j == nil {
		return false
	}
	b, err := j.Setting(context.Background(), key)
	return err == nil && json.Unmarshal(b, out) == nil
}
