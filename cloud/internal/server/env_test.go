package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/qrstand/qrstand/cloud/internal/storage"
	"github.com/qrstand/qrstand/mqtt"
)

type testServer struct {
	*Server
	base     string
	mqttAddr string
}

// startServer runs a sandboxed server with the embedded broker on random
// ports until the test ends.
func startServer(t testing.TB) *testServer { t.Helper(); return startServerWith(t, nil) }

// startServerWith is startServer with config changed by edit first.
func startServerWith(t testing.TB, edit func(*Config)) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mqttAddr := mln.Addr().String()
	mln.Close() // the broker listens on it again below
	base := "http://" + ln.Addr().String()
	var logOut = os.Stderr
	level := slog.LevelWarn
	if testing.Verbose() {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: level}))
	cfg := Config{HTTPAddr: ln.Addr().String(), BaseURL: base, MQTTAddr: mqttAddr, DataDir: t.TempDir(), Sandbox: true,
		SecretKey: base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32)), ShutdownTimeout: 5 * time.Second}
	if edit != nil {
		edit(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s, err := New(ctx, cfg, log)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	// Wait for HTTP and the cloud's MQTT link.
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 && s.link.Connected() {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not ready: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return &testServer{Server: s, base: base, mqttAddr: mqttAddr}
}

// standSim is a simulated stand on MQTT: it connects with its id and
// secret and records what the cloud sends it.
type standSim struct {
	t      testing.TB
	id     string
	secret string
	client paho.Client
	mu     sync.Mutex
	got    []mqtt.Message
	signal chan struct{}
}

func newStandSim(t testing.TB, ts *testServer) *standSim {
	t.Helper()
	id := "qrs-" + storage.NewToken()[:10]
	secret := mqtt.NewSecret()
	if _, err := ts.Storage().RegisterStand(context.Background(), id, secret, time.Now()); err != nil {
		t.Fatal(err)
	}
	return connectStandSim(t, ts, id, secret)
}

// connectStandSim connects a registered stand.
func connectStandSim(t testing.TB, ts *testServer, id, secret string) *standSim {
	t.Helper()
	s := &standSim{t: t, id: id, secret: secret, signal: make(chan struct{}, 100)}
	opts := paho.NewClientOptions().AddBroker("tcp://" + ts.mqttAddr).SetClientID(id).SetUsername(id).SetPassword(secret).SetCleanSession(false) // persistent, as real stands: mochi v2.7.9 can drop a clean session's fresh subscriptions when it reconnects at once with the same id
	s.client = paho.NewClient(opts)
	if tok := s.client.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("stand connect: %v", tok.Error())
	}
	t.Cleanup(func() { s.client.Disconnect(100) })
	handler := func(_ paho.Client, m paho.Message) {
		msg, err := mqtt.Unmarshal(m.Payload())
		if err != nil {
			t.Errorf("stand got undecodable message on %s: %v", m.Topic(), err)
			return
		}
		s.mu.Lock()
		s.got = append(s.got, msg)
		s.mu.Unlock()
		s.signal <- struct{}{}
	}
	for _, topic := range []string{mqtt.DownTopic(id), mqtt.ConfigTopic(id)} {
		if tok := s.client.Subscribe(topic, 1, handler); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatalf("stand subscribe: %v", tok.Error())
		}
	}
	return s
}

func (s *standSim) send(body mqtt.Body) {
	b, err := mqtt.New(body, time.Now()).Marshal()
	if err != nil {
		s.t.Fatal(err)
	}
	if tok := s.client.Publish(mqtt.UpTopic(s.id), 1, false, b); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		s.t.Fatalf("stand publish: %v", tok.Error())
	}
}

// wait returns the first message received (now or within 10 s) that match accepts.
func (s *standSim) wait(match func(mqtt.Message) bool) mqtt.Message {
	s.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		s.mu.Lock()
		for _, m := range s.got {
			if match(m) {
				s.mu.Unlock()
				return m
			}
		}
		s.mu.Unlock()
		select {
		case <-s.signal:
		case <-deadline:
			s.t.Fatalf("stand %s: expected message not received", s.id)
		}
	}
}

func (s *standSim) pairCode() *mqtt.PairCode {
	m := s.wait(func(m mqtt.Message) bool { _, ok := m.Body.(*mqtt.PairCode); return ok })
	return m.Body.(*mqtt.PairCode)
}

func (s *standSim) config(minVersion int64) *mqtt.StoreConfig {
	m := s.wait(func(m mqtt.Message) bool {
		c, ok := m.Body.(*mqtt.StoreConfig)
		return ok && c.Version >= minVersion
	})
	return m.Body.(*mqtt.StoreConfig)
}

// headlessChromium starts Debian's Chromium headless with a fresh profile
// and the flags a closed network needs (no background networking, no
// component updates), in zh-CN; the browser ends with the test.
func headlessChromium(t *testing.T, ctx context.Context, bin string) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Flag("headless", true), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("lang", "zh-CN"), chromedp.Flag("accept-lang", "zh-CN,zh"),
	}
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(func() { bcancel(); acancel() })
	return bctx
}
