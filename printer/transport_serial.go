package printer

import (
	"errors"
	"fmt"
	"io"
	"time"

	"go.bug.st/serial"
)

// SerialConfig configures a printer on a serial line (a TTL printer on the
// Raspberry Pi's UART, or a USB–serial adapter).
type SerialConfig struct {
	// Port is the device, e.g. /dev/serial0 or /dev/ttyUSB0. Required.
	Port string
	// Baud is the line speed (default 9600, what TTL printers ship with).
	// 8N1 moves Baud/10 bytes per second.
	Baud int
	// ChunkSize and ChunkDelay pace writes for printers with small
	// receive buffers and no flow control: after each ChunkSize bytes,
	// wait ChunkDelay. Zero ChunkDelay (default) writes without pauses.
	ChunkSize  int
	ChunkDelay time.Duration
}

// DefaultSerialConfig holds the values OpenSerial uses for SerialConfig
// fields left zero (Port has no default).
var DefaultSerialConfig = SerialConfig{Baud: 9600}

// withDefaults returns c with its zero fields taken from DefaultSerialConfig.
func (c SerialConfig) withDefaults() SerialConfig {
	if c.Baud == 0 {
		c.Baud = DefaultSerialConfig.Baud
	}
	return c
}

// Validate reports a configuration that cannot open a port.
func (c SerialConfig) Validate() error {
	switch {
	case c.Port == "":
		return errors.New("printer: serial port not set")
	case c.Baud < 0:
		return fmt.Errorf("printer: serial baud rate %d", c.Baud)
	case c.ChunkSize < 0 || c.ChunkDelay < 0:
		return errors.New("printer: negative serial pacing")
	case c.ChunkDelay > 0 && c.ChunkSize == 0:
		return errors.New("printer: serial ChunkDelay needs a ChunkSize")
	}
	return nil
}

// Serial is a printer on a serial line.
type Serial struct {
	p   serial.Port
	cfg SerialConfig
}

var _ Transport = (*Serial)(nil)

// OpenSerial opens the port at cfg.Baud, 8 data bits, no parity, 1 stop
// bit.
func OpenSerial(cfg SerialConfig) (*Serial, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p, err := serial.Open(cfg.Port, &serial.Mode{BaudRate: cfg.Baud, DataBits: 8, Parity: serial.NoParity, StopBits: serial.OneStopBit})
	if err != nil {
		return nil, fmt.Errorf("printer: open %s: %w", cfg.Port, err)
	}
	return &Serial{p: p, cfg: cfg}, nil
}

// Write implements Transport, pacing as configured.
func (s *Serial) Write(b []byte) (int, error) {
	chunk := len(b)
	if s.cfg.ChunkDelay > 0 {
		chunk = s.cfg.ChunkSize
	}
	written := 0
	for written < len(b) {
		end := min(len(b), written+chunk)
		for written < end {
			n, err := s.p.Write(b[written:end])
			written += n
			if err == nil && n == 0 {
				err = io.ErrShortWrite
			}
			if err != nil {
				return written, fmt.Errorf("printer: serial write: %w", err)
			}
		}
		if s.cfg.ChunkDelay > 0 && written < len(b) {
			time.Sleep(s.cfg.ChunkDelay)
		}
	}
	return written, nil
}

// Query implements Transport.
func (s *Serial) Query(req []byte, timeout time.Duration) (byte, error) {
	if err := s.p.ResetInputBuffer(); err != nil {
		return 0, fmt.Errorf("printer: serial flush input: %w", err)
	}
	if _, err := s.p.Write(req); err != nil {
		return 0, fmt.Errorf("printer: status request: %w", err)
	}
	if err := s.p.SetReadTimeout(timeout); err != nil {
		return 0, fmt.Errorf("printer: serial read timeout: %w", err)
	}
	var b [1]byte
	n, err := s.p.Read(b[:])
	if err != nil {
		return 0, fmt.Errorf("printer: status read: %w", err)
	}
	if n == 0 {
		return 0, ErrNoReply
	}
	return b[0], nil
}

// Close implements Transport.
func (s *Serial) Close() error { return s.p.Close() }
