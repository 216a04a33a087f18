package stand

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/qrstand/qrstand/display"
	"github.com/qrstand/qrstand/display/sim"
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

const wait = 20 * time.Second

// cloud is the test's stand-in for the cloud: a service-identity MQTT
// client that publishes events and counts every ack per event id.
type cloud struct {
	t  *testing.T
	pc paho.Client

	mu     sync.Mutex
	acks   map[string][]string // ref → results of distinct ack messages, in arrival order
	ackIDs map[string]bool
	ups    []mqtt.Message
	onUp   func(mqtt.Message)
	newUp  chan struct{}
	subs   int
}

// waitSubscribed waits until the cloud has (re)subscribed n times in all:
// after a broker restart, acks sent before it is back would be lost to a
// clean-session client (the real cloud's outbox resends; this one counts).
func (c *cloud) waitSubscribed(n int) {
	c.t.Helper()
	c.waitFor("cloud subscription", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.subs >= n
	})
}

func newCloud(t *testing.T, b *mqtttest.Broker) *cloud {
	t.Helper()
	c := &cloud{t: t, acks: map[string][]string{}, ackIDs: map[string]bool{}, newUp: make(chan struct{}, 1)}
	opts := paho.NewClientOptions().AddBroker(b.URL).SetClientID(mqtttest.ServiceUser + "-" + strings.ToLower(t.Name())).
		SetUsername(mqtttest.ServiceUser).SetPassword(b.ServiceSecret).SetCleanSession(true).
		SetAutoReconnect(true).SetMaxReconnectInterval(200 * time.Millisecond).SetConnectRetry(true).
		SetConnectRetryInterval(100 * time.Millisecond)
	opts.SetOnConnectHandler(func(pc paho.Client) {
		go func() {
			tok := pc.Subscribe("qrs/v1/d/+/up", 1, c.onMessage)
			if tok.WaitTimeout(wait) && tok.Error() == nil {
				c.mu.Lock()
				c.subs++
				c.mu.Unlock()
			}
		}()
	})
	c.pc = paho.NewClient(opts)
	if tok := c.pc.Connect(); !tok.WaitTimeout(wait) || tok.Error() != nil {
		t.Fatalf("cloud connect: %v", tok.Error())
	}
	t.Cleanup(func() { c.pc.Disconnect(50) })
	c.waitSubscribed(1)
	return c
}

func (c *cloud) onMessage(_ paho.Client, pm paho.Message) {
	m, err := mqtt.Unmarshal(pm.Payload())
	if err != nil {
		c.t.Errorf("cloud: undecodable uplink: %v", err)
		return
	}
	c.mu.Lock()
	if a, ok := m.Body.(*mqtt.Ack); ok {
		// QoS 1 may deliver one ack message twice (paho resends an uplink
		// whose PUBACK it did not see before a crash); the cloud dedupes
		// by envelope id, and so does this count.
		if !c.ackIDs[m.ID] {
			c.ackIDs[m.ID] = true
			c.acks[a.Ref] = append(c.acks[a.Ref], a.Result)
		}
	}
	c.ups = append(c.ups, m)
	f := c.onUp
	c.mu.Unlock()
	if f != nil {
		f(m)
	}
	select {
	case c.newUp <- struct{}{}:
	default:
	}
}

func (c *cloud) send(id string, body mqtt.Body, seq int64) mqtt.Message {
	c.t.Helper()
	m := mqtt.New(body, time.Now())
	m.Seq = seq
	c.publish(id, m)
	return m
}

func (c *cloud) publish(id string, m mqtt.Message) {
	c.t.Helper()
	p, err := m.Marshal()
	if err != nil {
		c.t.Fatal(err)
	}
	topic := mqtt.DownTopic(id)
	if m.Type == mqtt.KindStoreConfig {
		topic = mqtt.ConfigTopic(id)
	}
	tok := c.pc.Publish(topic, 1, m.Type == mqtt.KindStoreConfig, p)
	if !tok.WaitTimeout(wait) || tok.Error() != nil {
		c.t.Fatalf("cloud publish: %v", tok.Error())
	}
}

// waitFor polls cond until it holds or the wait ends.
func (c *cloud) waitFor(what string, cond func() bool) {
	c.t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			c.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (c *cloud) ackResults(ref string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.acks[ref]...)
}

func (c *cloud) acked(ref string) bool { return len(c.ackResults(ref)) > 0 }

func (c *cloud) upsOf(k mqtt.Kind) []mqtt.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []mqtt.Message
	for _, m := range c.ups {
		if m.Type == k {
			out = append(out, m)
		}
	}
	return out
}

// rig is one stand's persistent world: broker, credentials, data folder.
type rig struct {
	t      *testing.T
	b      *mqtttest.Broker
	id     string
	secret string
	dir    string
	cloud  *cloud
}

func newRig(t *testing.T, persistent bool) *rig {
	t.Helper()
	b := mqtttest.Start(t, mqtttest.Options{Persistent: persistent})
	r := &rig{t: t, b: b, id: "stand-test-1", dir: t.TempDir()}
	r.secret = b.AddStand(r.id)
	r.cloud = newCloud(t, b)
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
	hook    func(Point, []string) error
	now     func() time.Time
	settle  time.Duration
}

func (r *rig) start(o opts) *running {
	t := r.t
	t.Helper()
	j, err := journal.Open(filepath.Join(r.dir, "journal.db"), o.now)
	if err != nil {
		t.Fatal(err)
	}
	pr, err := outputs.NewSimPrinter(filepath.Join(r.dir, "receipts"), 384)
	if err != nil {
		t.Fatal(err)
	}
	pack, err := speech.DefaultPack()
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
		Broker: r.b.URL, DeviceID: r.id, Secret: r.secret, StoreDir: filepath.Join(r.dir, "mqtt"),
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
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
	s, err := New(Config{DeviceID: r.id, Firmware: "test", CatchUpSettle: settle, Hook: o.hook, Now: o.now,
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

var errNever = errors.New("never")

func storeConfig() *mqtt.StoreConfig {
	return &mqtt.StoreConfig{Version: 1, Bound: true, StoreID: "st_1", StoreName: "老王面馆", QRURL: "https://pay.example.com/s/st_1",
		Announce: mqtt.AnnounceConfig{Enabled: true, Volume: 80}, Print: mqtt.PrintConfig{Enabled: true, Copies: 1, OrderQR: true}}
}

func paid(order string, fen int64, at time.Time) *mqtt.PaymentPaid {
	return &mqtt.PaymentPaid{OrderNo: order, Channel: mqtt.ChannelWeChat, AmountFen: fen, PaidAt: at.UTC(), StoreID: "st_1",
		StoreName: "老王面馆", OrderURL: "https://pay.example.com/o/" + order}
}
