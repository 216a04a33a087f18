package broker

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/mochi-mqtt/server/v2/packets"
)

func TestWarnLimiter(t *testing.T) {
	now := time.Unix(0, 0)
	l := &warnLimiter{now: func() time.Time { return now }, keys: map[string]*bucket{}}
	for i := 0; i < warnBurst; i++ {
		if ok, _ := l.allow("a"); !ok {
			t.Fatalf("line %d of the burst held back", i)
		}
	}
	for i := 0; i < 5; i++ {
		if ok, _ := l.allow("a"); ok {
			t.Fatal("line beyond the burst written")
		}
	}
	if ok, _ := l.allow("b"); !ok {
		t.Fatal("another client is limited by the first")
	}
	now = now.Add(warnEvery)
	if ok, n := l.allow("a"); !ok || n != 5 {
		t.Fatalf("after one interval: ok=%v suppressed=%d, want true 5", ok, n)
	}
	if ok, _ := l.allow("a"); ok {
		t.Fatal("two lines after one interval")
	}

	// Many clients: the map stays bounded, idle full buckets are dropped.
	for i := 0; i < 3*maxLimiterKeys; i++ {
		l.allow(fmt.Sprint("k", i))
		if i%maxLimiterKeys == 0 {
			now = now.Add(warnBurst * warnEvery)
		}
	}
	if len(l.keys) > maxLimiterKeys+1 {
		t.Errorf("%d limiter keys, want at most %d", len(l.keys), maxLimiterKeys+1)
	}
}

func TestSafeHandler(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(newSafeHandler(slog.NewTextHandler(&buf, nil), time.Now))
	pk := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish, Qos: 1}, TopicName: "qrs/v1/d/x/up",
		Payload: []byte("SECRET-PAYLOAD"), PacketID: 9,
		Connect: packets.ConnectParams{Password: []byte("SECRET-PASSWORD")}}
	long := strings.Repeat("c", 5000)
	log.Warn("m", "pk", pk, "ptr", &pk, "raw", []byte("SECRET-BYTES"), "client", long,
		"error", errors.New(strings.Repeat("e", 5000)), "will", struct{ Payload []byte }{[]byte("SECRET-WILL")},
		slog.Group("g", "inner", pk))
	out := buf.String()
	if strings.Contains(out, "SECRET") {
		t.Errorf("contents logged: %s", out)
	}
	if len(out) > 2000 {
		t.Errorf("%d bytes for one line: %s", len(out), out)
	}
	for _, want := range []string{"pk.type=Publish", "pk.payload_bytes=14", "pk.topic=qrs/v1/d/x/up", "raw=\"(12 bytes)\"", "(5000 bytes)"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in %s", want, out)
		}
	}
}
