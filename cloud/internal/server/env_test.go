package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/qrstand/qrstand/cloud/internal/storage"
	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/mqtttest"
)

type testServer struct {
	*Server
	base     string
	mqttAddr string
}

// startServer runs a sandboxed server with the embedded broker on random
// ports until the test ends.
func startServer(t testing.TB) *testServer {
	t.Helper()
	return startServerWith(t, nil, nil)
}

// startServerWith is startServer with the config changed by mut and, when
// logs is set, every log line (debug included) written there.
func startServerWith(t testing.TB, mut func(*Config), logs io.Writer) *testServer {
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
	if logs != nil {
		log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	cfg := Config{HTTPAddr: ln.Addr().String(), BaseURL: base, MQTTAddr: mqttAddr, DataDir: t.TempDir(), Sandbox: true,
		SecretKey: base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32)), ShutdownTimeout: 5 * time.Second}
	if mut != nil {
		mut(&cfg)
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

// registerStand registers a new stand in the cloud's storage and returns
// its id and secret.
func registerStand(t testing.TB, ts *testServer) (id, secret string) {
	t.Helper()
	id, secret = "qrs-"+storage.NewToken()[:10], mqtt.NewSecret()
	if _, err := ts.Storage().RegisterStand(context.Background(), id, secret, time.Now()); err != nil {
		t.Fatal(err)
	}
	return id, secret
}

// newStand registers a stand and connects it to the cloud's embedded
// broker as the one fake stand of the tests (mqtttest.Stand).
func newStand(t testing.TB, ts *testServer) *mqtttest.Stand {
	t.Helper()
	id, secret := registerStand(t, ts)
	return mqtttest.DialStand(t, "tcp://"+ts.mqttAddr, id, secret)
}

// pairCode waits for the pairing code the cloud sends stand s.
func pairCode(s *mqtttest.Stand) *mqtt.PairCode {
	return s.Next(mqtt.KindPairCode).Body.(*mqtt.PairCode)
}

// storeConfig waits for a store.config of at least minVersion on stand s.
func storeConfig(s *mqtttest.Stand, minVersion int64) *mqtt.StoreConfig {
	m := s.NextWhere(mqtt.KindStoreConfig, func(m mqtt.Message) bool { return m.Body.(*mqtt.StoreConfig).Version >= minVersion })
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
