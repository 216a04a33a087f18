package brokerctl_test

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/url"
	"testing"
	"time"
)

// rawConn is an MQTT 3.1.1 connection written by hand, so a test can drop
// the socket without a DISCONNECT (paho always sends one), which is what
// makes a broker send the will.
type rawConn struct {
	net.Conn
	r *bufio.Reader
}

type will struct {
	topic, payload string
	qos            byte
	retain         bool
}

func mqttString(s string) []byte {
	b := binary.BigEndian.AppendUint16(nil, uint16(len(s)))
	return append(b, s...)
}

// rawConnect sends CONNECT (clean session, keepalive 30 s) and returns the
// CONNACK return code (0 accepted, 4 bad user name or password, 5 not
// authorized; MQTT 3.1.1 §3.2.2.3).
func rawConnect(t *testing.T, brokerURL, clientID, user, pass string, w *will) (*rawConn, byte) {
	t.Helper()
	return dial(t, brokerURL, clientID, user, pass, w)
}

func dial(t testing.TB, brokerURL, clientID, user, pass string, w *will) (*rawConn, byte) {
	t.Helper()
	u, err := url.Parse(brokerURL)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	flags := byte(0x02)
	payload := mqttString(clientID)
	if w != nil {
		flags |= 0x04 | w.qos<<3
		if w.retain {
			flags |= 0x20
		}
		payload = append(payload, mqttString(w.topic)...)
		payload = append(payload, mqttString(w.payload)...)
	}
	if user != "" {
		flags |= 0x80
		payload = append(payload, mqttString(user)...)
	}
	if pass != "" {
		flags |= 0x40
		payload = append(payload, mqttString(pass)...)
	}
	vh := append(mqttString("MQTT"), 4, flags, 0, 30)
	body := append(vh, payload...)
	pkt := append([]byte{0x10}, remainingLength(len(body))...)
	pkt = append(pkt, body...)
	if _, err := c.Write(pkt); err != nil {
		t.Fatal(err)
	}
	rc := &rawConn{Conn: c, r: bufio.NewReader(c)}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var ack [4]byte
	if _, err := io.ReadFull(rc.r, ack[:]); err != nil {
		t.Fatalf("rawConnect %s: read CONNACK: %v", clientID, err)
	}
	c.SetReadDeadline(time.Time{})
	if ack[0] != 0x20 || ack[1] != 2 {
		t.Fatalf("rawConnect %s: not a CONNACK: % x", clientID, ack)
	}
	return rc, ack[3]
}

func remainingLength(n int) []byte {
	var out []byte
	for {
		b := byte(n % 128)
		n /= 128
		if n > 0 {
			b |= 0x80
		}
		out = append(out, b)
		if n == 0 {
			return out
		}
	}
}

// subscribe sends SUBSCRIBE (QoS 1) and waits for a granted SUBACK.
func (c *rawConn) subscribe(t testing.TB, filter string) {
	t.Helper()
	body := append([]byte{0, 1}, mqttString(filter)...)
	body = append(body, 1)
	pkt := append([]byte{0x82}, remainingLength(len(body))...)
	if _, err := c.Write(append(pkt, body...)); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var ack [5]byte
	if _, err := io.ReadFull(c.r, ack[:]); err != nil {
		t.Fatalf("SUBACK: %v", err)
	}
	c.SetReadDeadline(time.Time{})
	if ack[0] != 0x90 || ack[4] >= 0x80 {
		t.Fatalf("subscribe %s: % x", filter, ack)
	}
}

// closed reports whether the broker closed the connection within d.
func (c *rawConn) closed(d time.Duration) error {
	c.SetReadDeadline(time.Now().Add(d))
	for {
		if _, err := c.r.ReadByte(); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				return fmt.Errorf("still open after %v", d)
			}
			return nil
		}
	}
}
