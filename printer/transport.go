package printer

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// Transport carries bytes to a printer and real-time status bytes back.
// USB, Serial and TCP implement it; printertest has a fake.
type Transport interface {
	// Write sends bytes to the printer.
	io.Writer
	// Query sends a real-time request (DLE EOT n) and returns the
	// printer's one-byte answer, waiting at most timeout. No answer in
	// time is ErrNoReply.
	Query(req []byte, timeout time.Duration) (byte, error)
	// Close releases the device.
	io.Closer
}

// DefaultUSBPath is the first USB printer-class device on Linux (group lp).
const DefaultUSBPath = "/dev/usb/lp0"

// USB is a printer behind the Linux usblp driver, a character device that
// passes bytes both ways.
type USB struct {
	f *os.File
}

var _ Transport = (*USB)(nil)

// OpenUSB opens a USB printer-class device (DefaultUSBPath if empty).
func OpenUSB(path string) (*USB, error) {
	if path == "" {
		path = DefaultUSBPath
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("printer: open %s: %w", path, err)
	}
	return &USB{f: f}, nil
}

// Write implements Transport.
func (u *USB) Write(p []byte) (int, error) {
	n, err := u.f.Write(p)
	if err != nil {
		return n, fmt.Errorf("printer: usb write: %w", err)
	}
	return n, nil
}

// Query implements Transport. Late answers to earlier, timed-out queries
// are discarded first.
func (u *USB) Query(req []byte, timeout time.Duration) (byte, error) {
	return queryDeadline(u.f, req, timeout)
}

// Close implements Transport.
func (u *USB) Close() error { return u.f.Close() }

// deadlineRW is a byte stream with read deadlines: *os.File on a pollable
// device, net.Conn.
type deadlineRW interface {
	io.ReadWriter
	SetReadDeadline(time.Time) error
}

func queryDeadline(rw deadlineRW, req []byte, timeout time.Duration) (byte, error) {
	drain(rw)
	if _, err := rw.Write(req); err != nil {
		return 0, fmt.Errorf("printer: status request: %w", err)
	}
	if err := rw.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return 0, fmt.Errorf("printer: status read deadline: %w", err)
	}
	defer rw.SetReadDeadline(time.Time{})
	var b [1]byte
	for {
		n, err := rw.Read(b[:])
		if n == 1 {
			return b[0], nil
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return 0, ErrNoReply
		}
		if err != nil {
			return 0, fmt.Errorf("printer: status read: %w", err)
		}
	}
}

// drain discards bytes already waiting to be read.
func drain(rw deadlineRW) {
	if rw.SetReadDeadline(time.Now()) != nil {
		return
	}
	var buf [64]byte
	for {
		if n, err := rw.Read(buf[:]); n == 0 || err != nil {
			break
		}
	}
	rw.SetReadDeadline(time.Time{})
}
