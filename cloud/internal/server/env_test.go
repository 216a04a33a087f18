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
	mqtttest.WaitFor(t, "the server's pages and its MQTT link", func() bool {
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200 && s.link.Connected()
	})
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

// pairedStand is newStand bound to store storeID (as a manager pairing it
// would).
func pairedStand(t testing.TB, ts *testServer, storeID string) *mqtttest.Stand {
	t.Helper()
	ctx, now := context.Background(), time.Now()
	id, secret := registerStand(t, ts)
	if err := ts.Storage().SetPairCode(ctx, id, "11223344", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Storage().PairStand(ctx, id, "11223344", storeID, now); err != nil {
		t.Fatal(err)
	}
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
