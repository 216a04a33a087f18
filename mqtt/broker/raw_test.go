package broker_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/broker"
)

// env is an embedded broker over TCP with a stand registry, for tests that
// need to tune broker.Config (mqtttest.Start takes the defaults).
type env struct {
	t       *testing.T
	b       *broker.Broker
	addr    string // plain listener
	url     string
	secrets map[string]string
	service string // the service secret
	stop    func()
}

const serviceUser = "qrstand_cloud"

func startEnv(t *testing.T, stands []string, tune func(*broker.Config)) *env {
	t.Helper()
	e := &env{t: t, secrets: map[string]string{}, service: mqtt.NewSecret()}
	hashes := map[string]string{}
	for _, id := range stands {
		e.secrets[id] = mqtt.NewSecret()
		hashes[id] = mqtt.HashSecret(e.secrets[id])
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := broker.Config{
		Listener: ln,
		Stands: broker.StandLookupFunc(func(_ context.Context, id string) (string, error) {
			if h, ok := hashes[id]; ok {
				return h, nil
			}
			return "", broker.ErrUnknownStand
		}),
		ServiceUser:       serviceUser,
		ServiceSecretHash: mqtt.HashSecret(e.service),
	}
	if tune != nil {
		tune(&cfg)
	}
	b, err := broker.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	select {
	case <-b.Ready():
	case err := <-done:
		cancel()
		t.Fatalf("broker did not start: %v", err)
	}
	var once sync.Once
	e.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("broker: %v", err)
			}
		})
	}
	t.Cleanup(e.stop)
	e.b = b
	e.addr = ln.Addr().String()
	e.url = "tcp://" + e.addr
	return e
}

// rawConn speaks MQTT with packets built by mochi's own codec, so a test
// can send what no well-behaved client library would (a foreign will, a
// topic alias, a response topic, a lying length).
type rawConn struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
	v byte // protocol version
}

func dialRaw(t *testing.T, addr string, version byte) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{t: t, c: c, r: bufio.NewReader(c), v: version}
}

func (rc *rawConn) send(pk packets.Packet) error {
	pk.ProtocolVersion = rc.v
	pk.Mods.AllowResponseInfo = true // else mochi's encoder drops a response topic
	var buf bytes.Buffer
	var err error
	switch pk.FixedHeader.Type {
	case packets.Connect:
		err = pk.ConnectEncode(&buf)
	case packets.Publish:
		err = pk.PublishEncode(&buf)
	case packets.Subscribe:
		err = pk.SubscribeEncode(&buf)
	case packets.Disconnect:
		err = pk.DisconnectEncode(&buf)
	default:
		err = fmt.Errorf("rawConn: cannot send %v", pk.FixedHeader.Type)
	}
	if err != nil {
		return err
	}
	_, err = rc.c.Write(buf.Bytes())
	return err
}

// read returns the next packet from the broker, or the error that ended
// the connection (io.EOF when the broker closed it).
func (rc *rawConn) read() (packets.Packet, error) {
	_ = rc.c.SetReadDeadline(time.Now().Add(wait))
	var pk packets.Packet
	b, err := rc.r.ReadByte()
	if err != nil {
		return pk, err
	}
	if err := pk.FixedHeader.Decode(b); err != nil {
		return pk, err
	}
	n, _, err := packets.DecodeLength(rc.r)
	if err != nil {
		return pk, err
	}
	pk.FixedHeader.Remaining = n
	body := make([]byte, n)
	if _, err := io.ReadFull(rc.r, body); err != nil {
		return pk, err
	}
	pk.ProtocolVersion = rc.v
	switch pk.FixedHeader.Type {
	case packets.Connack:
		err = pk.ConnackDecode(body)
	case packets.Publish:
		err = pk.PublishDecode(body)
	case packets.Puback:
		err = pk.PubackDecode(body)
	case packets.Suback:
		err = pk.SubackDecode(body)
	case packets.Disconnect:
		err = pk.DisconnectDecode(body)
	}
	return pk, err
}

// connectPacket is a CONNECT for a stand or the service, without a will.
func connectPacket(id, user, pass string) packets.Packet {
	return packets.Packet{
		FixedHeader: packets.FixedHeader{Type: packets.Connect},
		Connect: packets.ConnectParams{
			ProtocolName: []byte("MQTT"), ClientIdentifier: id, Clean: true, Keepalive: 30,
			UsernameFlag: true, Username: []byte(user), PasswordFlag: true, Password: []byte(pass),
		},
	}
}

// connect sends pk and returns the CONNACK reason code, or the error if the
// broker closed the connection without one.
func (rc *rawConn) connect(pk packets.Packet) (byte, error) {
	rc.t.Helper()
	if pk.Connect.ProtocolName == nil {
		pk.Connect.ProtocolName = []byte("MQTT")
	}
	if err := rc.send(pk); err != nil {
		return 0, err
	}
	ack, err := rc.read()
	if err != nil {
		return 0, err
	}
	if ack.FixedHeader.Type != packets.Connack {
		return 0, fmt.Errorf("got %v, want CONNACK", packets.PacketNames[ack.FixedHeader.Type])
	}
	return ack.ReasonCode, nil
}

// waitClosed reads until the broker closes the connection and fails the
// test if it does not within wait. It returns the packets read first.
func (rc *rawConn) waitClosed() []packets.Packet {
	rc.t.Helper()
	var got []packets.Packet
	for {
		pk, err := rc.read()
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				rc.t.Fatalf("connection still open after %v", wait)
			}
			return got
		}
		got = append(got, pk)
	}
}

// lockedBuffer collects log output from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func captureLog(buf *lockedBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
