package printer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// simPrinter is the far end of a real byte stream (a pty master or a TCP
// connection): it answers DLE EOT like a printer in state status and keeps
// every other byte.
type simPrinter struct {
	mu     sync.Mutex
	status Status
	silent bool
	got    bytes.Buffer
	done   chan struct{}
}

func (s *simPrinter) serve(rw io.ReadWriter) {
	defer close(s.done)
	buf := make([]byte, 4096)
	var pending []byte // a DLE EOT split across reads
	for {
		n, err := rw.Read(buf)
		if n > 0 {
			data := append(pending, buf[:n]...)
			pending = nil
			for i := 0; i < len(data); i++ {
				if data[i] == 0x10 {
					if i+2 >= len(data) {
						pending = append([]byte(nil), data[i:]...)
						break
					}
					if data[i+1] == 0x04 {
						s.answer(rw, data[i+2])
						i += 2
						continue
					}
				}
				s.mu.Lock()
				s.got.WriteByte(data[i])
				s.mu.Unlock()
			}
		}
		if err != nil {
			return
		}
	}
}

func (s *simPrinter) answer(w io.Writer, n byte) {
	s.mu.Lock()
	st, silent := s.status, s.silent
	s.mu.Unlock()
	if silent {
		return
	}
	n1, n2, n4 := StatusBytes(st)
	w.Write([]byte{map[byte]byte{1: n1, 2: n2, 4: n4}[n]})
}

func (s *simPrinter) bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.got.Bytes())
}

// openPTY returns a pseudo-terminal master and the path of its slave, which
// stands in for /dev/usb/lp0 or a serial port.
func openPTY(t *testing.T) (*os.File, string) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	var n uint32
	var ioErr error
	rc, err := m.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	err = rc.Control(func(fd uintptr) {
		if ioErr = unix.IoctlSetPointerInt(int(fd), unix.TIOCSPTLCK, 0); ioErr != nil {
			return
		}
		n, ioErr = unix.IoctlGetUint32(int(fd), unix.TIOCGPTN)
		if ioErr != nil {
			return
		}
		ioErr = makeRaw(fd)
	})
	if err != nil || ioErr != nil {
		t.Fatalf("pty setup: %v %v", err, ioErr)
	}
	return m, fmt.Sprintf("/dev/pts/%d", n)
}

func makeRaw(fd uintptr) error {
	tio, err := unix.IoctlGetTermios(int(fd), unix.TCGETS)
	if err != nil {
		return err
	}
	tio.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	tio.Oflag &^= unix.OPOST
	tio.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	tio.Cflag &^= unix.CSIZE | unix.PARENB
	tio.Cflag |= unix.CS8
	tio.Cc[unix.VMIN], tio.Cc[unix.VTIME] = 1, 0
	return unix.IoctlSetTermios(int(fd), unix.TCSETS, tio)
}

// receipt is a real receipt, the bytes every transport must carry intact
// (it contains 0x00, 0x0A and 0x10 that a tty in cooked mode would mangle).
func receipt(t *testing.T) []byte {
	b, err := os.ReadFile("testdata/payment_58mm.bin")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkTransport writes a receipt, queries status twice (ready, then paper
// out) and once with a silent printer, then closes tr.
func checkTransport(t *testing.T, tr Transport, sim *simPrinter) {
	t.Helper()
	data := receipt(t)
	// Strip DLE EOT from the payload: the simulator takes it as a query.
	data = bytes.ReplaceAll(data, []byte{0x10, 0x04}, nil)
	if n, err := tr.Write(data); err != nil || n != len(data) {
		t.Fatalf("Write = %d, %v", n, err)
	}
	s, err := QueryStatus(tr, time.Second)
	if err != nil || s != (Status{}) {
		t.Fatalf("QueryStatus = %+v, %v; want ready", s, err)
	}
	sim.mu.Lock()
	sim.status = Status{PaperOut: true}
	sim.mu.Unlock()
	s, err = QueryStatus(tr, time.Second)
	if err != nil || !s.PaperOut || !errors.Is(s.Err(), ErrPaperOut) {
		t.Fatalf("QueryStatus = %+v, %v; want paper out", s, err)
	}
	sim.mu.Lock()
	sim.silent = true
	sim.mu.Unlock()
	if _, err := QueryStatus(tr, 50*time.Millisecond); !errors.Is(err, ErrNoReply) {
		t.Fatalf("QueryStatus on a silent printer = %v, want ErrNoReply", err)
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	<-sim.done
	if diff := cmp.Diff(sim.bytes(), data); diff != "" {
		t.Errorf("printer received (-got +want):\n%s", diff)
	}
}

func TestUSBTransportOverPTY(t *testing.T) {
	m, slave := openPTY(t)
	defer m.Close()
	sim := &simPrinter{done: make(chan struct{})}
	go sim.serve(m)
	u, err := OpenUSB(slave)
	if err != nil {
		t.Fatal(err)
	}
	// A pty is a tty: make it a plain byte pipe like usblp.
	rc, err := u.f.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var rawErr error
	if err := rc.Control(func(fd uintptr) { rawErr = makeRaw(fd) }); err != nil || rawErr != nil {
		t.Fatal(err, rawErr)
	}
	checkTransport(t, u, sim)
	m.Close() // ends the simulator's read
}

func TestSerialTransportOverPTY(t *testing.T) {
	m, slave := openPTY(t)
	defer m.Close()
	sim := &simPrinter{done: make(chan struct{})}
	go sim.serve(m)
	s, err := OpenSerial(SerialConfig{Port: slave, Baud: 19200, ChunkSize: 64, ChunkDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	checkTransport(t, s, sim)
	m.Close()
}

func TestTCPTransport(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	sim := &simPrinter{done: make(chan struct{})}
	go func() {
		c, err := ln.Accept()
		if err != nil {
			close(sim.done)
			return
		}
		defer c.Close()
		sim.serve(c)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	tr, err := DialTCP(ctx, ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	checkTransport(t, tr, sim)
}

func TestOpenErrors(t *testing.T) {
	if _, err := OpenUSB(t.TempDir() + "/lp9"); err == nil {
		t.Error("OpenUSB of a missing device succeeded")
	}
	for _, c := range []SerialConfig{{}, {Port: "/dev/x", Baud: -1}, {Port: "/dev/x", ChunkDelay: time.Millisecond}} {
		if err := c.Validate(); err == nil {
			t.Errorf("SerialConfig%+v.Validate() = nil", c)
		}
	}
	if _, err := OpenSerial(SerialConfig{Port: t.TempDir() + "/ttyX"}); err == nil {
		t.Error("OpenSerial of a missing port succeeded")
	}
}

func TestStatusBytesRoundTrip(t *testing.T) {
	for _, s := range []Status{{}, {PaperOut: true}, {CoverOpen: true}, {PaperNearEnd: true}, {Offline: true}, {Error: true}} {
		tr := fixedStatus(s)
		got, err := QueryStatus(tr, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		want := s
		if s.PaperOut {
			want.PaperNearEnd = true
		}
		if want.CoverOpen || want.PaperOut || want.Error {
			want.Offline = true
		}
		if got != want {
			t.Errorf("status %+v reads back as %+v", s, got)
		}
	}
	if _, err := QueryStatus(byteAnswer(0xff), time.Second); !errors.Is(err, ErrBadStatus) {
		t.Errorf("QueryStatus of 0xFF = %v, want ErrBadStatus", err)
	}
}

type fixedStatus Status

func (f fixedStatus) Write(p []byte) (int, error) { return len(p), nil }
func (f fixedStatus) Close() error                { return nil }
func (f fixedStatus) Query(req []byte, _ time.Duration) (byte, error) {
	n1, n2, n4 := StatusBytes(Status(f))
	return map[byte]byte{1: n1, 2: n2, 4: n4}[req[2]], nil
}

type byteAnswer byte

func (b byteAnswer) Write(p []byte) (int, error)               { return len(p), nil }
func (b byteAnswer) Close() error                              { return nil }
func (b byteAnswer) Query([]byte, time.Duration) (byte, error) { return byte(b), nil }
