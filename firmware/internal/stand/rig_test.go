package stand

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qrstand/qrstand/display"
	"github.com/qrstand/qrstand/display/sim"
	"github.com/qrstand/qrstand/firmware/internal/clock"
	"github.com/qrstand/qrstand/firmware/internal/face"
	"github.com/qrstand/qrstand/firmware/internal/journal"
	"github.com/qrstand/qrstand/firmware/internal/outputs"
	"github.com/qrstand/qrstand/firmware/internal/speech"
	"github.com/qrstand/qrstand/firmware/internal/speech/speechtest"
	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/mqtttest"
	"github.com/qrstand/qrstand/mqtt/standclient"
	"github.com/qrstand/qrstand/printer/escpos"
)

// wait bounds waiting for a fact (a connect, an ack); generous because the
// same tests run under qemu-user (make test-pi) on a busy machine.
const wait = 60 * time.Second

// rig is one stand's persistent world: broker, credentials, data folder.
type rig struct {
	t      testing.TB
	b      *mqtttest.Broker
	id     string
	secret string
	dir    string
	cloud  *mqtttest.Cloud
}

func newRigB(b *testing.B) *rig { return newRig(b, false) }

func newRig(t testing.TB, persistent bool) *rig {
	t.Helper()
	b := mqtttest.Start(t, mqtttest.Options{Persistent: persistent})
	r := &rig{t: t, b: b, id: "stand-test-1", dir: t.TempDir()}
	r.secret = b.AddStand(r.id)
	r.cloud = mqtttest.NewCloud(t, b)
	return r
}

// running is one life of the stand daemon on the rig's data folder.
type running struct {
	s       *Stand
	j       *journal.Journal
	pr      *outputs.SimPrinter
	an      *outputs.SimAnnouncer
	panel   *sim.Panel
	face    *face.Face
	cancel  context.CancelFunc
	done    chan error
	conn    chan struct{}
	stopped bool
	err     error
}

type opts struct {
	battery BatterySource
	reboot  func() error
	update  func(*mqtt.FirmwareUpdate)
	hook    func(Point, []string) error
	now     func() time.Time
	settle  time.Duration
	data    string       // where the journal and the MQTT store live (default: the rig's folder)
	log     *slog.Logger // the stand's and its client's log (default: discarded)
}

func (r *rig) start(o opts) *running {
	t := r.t
	t.Helper()
	data := o.data
	if data == "" {
		data = r.dir
	}
	j, err := journal.Open(filepath.Join(data, "journal.db"), o.now)
	if err != nil {
		t.Fatal(err)
	}
	pr, err := outputs.NewSimPrinter(filepath.Join(r.dir, "receipts"), 384)
	if err != nil {
		t.Fatal(err)
	}
	pack, err := speech.LoadPack(os.DirFS(speechtest.PackDir()))
	if err != nil {
		t.Fatal(err)
	}
	sp, err := speech.NewSpeaker(speech.SpeakerOpts{Config: speech.DefaultConfig(), Pack: pack, Player: &speechtest.Player{}})
	if err != nil {
		t.Fatal(err)
	}
	an, err := outputs.NewSimAnnouncer(sp, filepath.Join(r.dir, "announce"))
	if err != nil {
		t.Fatal(err)
	}
	panel, err := sim.New(sim.Opts{Dir: filepath.Join(r.dir, "frames"), Size: display.Size250x122, Partial: true})
	if err != nil {
		t.Fatal(err)
	}
	d, err := display.New(panel, display.Config{})
	if err != nil {
		t.Fatal(err)
	}
	f := face.New(d, face.Opts{FlashFor: 100 * time.Millisecond})
	cl, err := standclient.New(standclient.Config{
		Broker: r.b.URL, DeviceID: r.id, Secret: r.secret, StoreDir: filepath.Join(data, "mqtt"),
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, Logger: o.log,
	})
	if err != nil {
		t.Fatal(err)
	}
	run := &running{j: j, pr: pr, an: an, panel: panel, face: f, done: make(chan error, 1), conn: make(chan struct{}, 100)}
	cl.OnConnect(func(context.Context) { run.conn <- struct{}{} })
	settle := o.settle
	if settle == 0 {
		settle = 500 * time.Millisecond
	}
	var clk clock.Clock = clock.Real{}
	if o.now != nil {
		clk = clock.Func(o.now)
	}
	s, err := New(Config{DeviceID: r.id, Firmware: "test", CatchUpSettle: settle, Hook: o.hook, Clock: clk, Reboot: o.reboot, Update: o.update, Log: o.log,
		PollEvery: 50 * time.Millisecond, PrintRetry: 100 * time.Millisecond},
		Deps{Journal: j, Uplink: cl, Face: f, Printer: pr, Announcer: an, Battery: o.battery})
	if err != nil {
		t.Fatal(err)
	}
	run.s = s
	ctx, cancel := context.WithCancel(context.Background())
	run.cancel = cancel
	go func() { run.done <- s.Run(ctx) }()
	t.Cleanup(func() { run.stop() })
	select {
	case <-run.conn:
	case <-time.After(wait):
		t.Fatal("stand did not connect")
	}
	return run
}

// stop ends the stand (if it has not ended by itself) and closes its
// journal, like a process exit.
func (run *running) stop() error {
	if run.stopped {
		return run.err
	}
	run.stopped = true
	run.cancel()
	run.err = <-run.done
	run.j.Close()
	return run.err
}

// waitExit waits for the stand to stop by itself (a simulated crash).
func (run *running) waitExit(t *testing.T) error {
	t.Helper()
	select {
	case err := <-run.done:
		run.stopped, run.err = true, err
		run.cancel()
		run.j.Close()
		return err
	case <-time.After(wait):
		t.Fatal("stand did not stop")
		return nil
	}
}

// receipt is one printed job, read back from the sim printer's .bin.
type receipt struct {
	file string
	text string
}

func receipts(t *testing.T, dir string) []receipt {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "receipts", "receipt-*.bin"))
	var out []receipt
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, receipt{file: f, text: strings.Join(escpos.Lines(escpos.Decode(b)), "\n")})
	}
	return out
}

func announcements(t *testing.T, dir string) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "announce", "announce-*.txt"))
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, strings.TrimSpace(string(b)))
	}
	return out
}

func crashAt(p Point, once *sync.Once) func(Point, []string) error {
	return func(q Point, _ []string) error {
		var err error
		if q == p {
			once.Do(func() { err = ErrCrash })
		}
		return err
	}
}

func storeConfig() *mqtt.StoreConfig {
	return &mqtt.StoreConfig{Version: 1, Bound: true, StoreID: "st_1", StoreName: "老王面馆", QRURL: "https://pay.example.com/s/st_1",
		Announce: mqtt.AnnounceConfig{Enabled: true, Volume: 80}, Print: mqtt.PrintConfig{Enabled: true, Copies: 1, OrderQR: true}}
}

func paid(order string, fen int64, at time.Time) *mqtt.PaymentPaid {
	return &mqtt.PaymentPaid{OrderNo: order, Channel: mqtt.ChannelWeChat, AmountFen: fen, PaidAt: at.UTC(), StoreID: "st_1",
		StoreName: "老王面馆", OrderURL: "https://pay.example.com/o/" + order}
}

// The marker is a payment sent to prove that nothing more is coming: the
// stand handles down events in order and its worker works the journal in
// order, so once the marker is acked and done, whatever an earlier
// duplicate, redelivery or restart would still cause (a second ack,
// announcement or receipt) has already happened.
const (
	markerOrder = "ORD-MARKER"
	markerSaid  = "微信收款零点零一元"
)

// settle sends the marker with outbox sequence seq and waits until it is
// acked and done in run's journal.
func (r *rig) settle(run *running, seq int64) {
	r.t.Helper()
	m := r.cloud.Send(r.id, paid(markerOrder, 1, time.Now()), seq)
	r.cloud.WaitFor("marker acked", func() bool { return r.cloud.Acked(m.ID) })
	r.cloud.WaitFor("marker done", func() bool {
		e, err := run.j.Get(context.Background(), m.ID)
		return err == nil && e.State == journal.Done
	})
}

// withoutMarker drops the marker's receipt.
func withoutMarker(rs []receipt) []receipt {
	var out []receipt
	for _, r := range rs {
		if !strings.Contains(r.text, markerOrder) {
			out = append(out, r)
		}
	}
	return out
}

// saidWithoutMarker drops the marker's announcement.
func saidWithoutMarker(said []string) []string {
	var out []string
	for _, s := range said {
		if s != markerSaid {
			out = append(out, s)
		}
	}
	return out
}
