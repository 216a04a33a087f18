package printer

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors a caller branches on. Status.Err returns the first that
// applies.
var (
	ErrPaperOut     = errors.New("printer: paper out")
	ErrCoverOpen    = errors.New("printer: cover open")
	ErrOffline      = errors.New("printer: offline")
	ErrPrinterError = errors.New("printer: printer error")
	// ErrNoReply means the printer did not answer a status query in time:
	// it is off, unplugged, or has no back channel.
	ErrNoReply = errors.New("printer: no status reply")
	// ErrBadStatus means a status byte had its fixed bits wrong: not an
	// answer to DLE EOT.
	ErrBadStatus = errors.New("printer: malformed status byte")
)

// Status is the printer's real-time status (DLE EOT 1, 2 and 4).
type Status struct {
	Offline      bool // n=1 bit 3
	CoverOpen    bool // n=2 bit 2
	PaperOut     bool // n=4 bits 5–6, or n=2 bit 5 (stopped at paper end)
	PaperNearEnd bool // n=4 bits 2–3; printing goes on
	Error        bool // n=2 bit 6: cutter jam, head overheated, …
}

// Err returns the reason the printer cannot print, or nil. A paper near
// its end still prints.
func (s Status) Err() error {
	switch {
	case s.PaperOut:
		return ErrPaperOut
	case s.CoverOpen:
		return ErrCoverOpen
	case s.Error:
		return ErrPrinterError
	case s.Offline:
		return ErrOffline
	}
	return nil
}

// Real-time status requests (DLE EOT n).
var (
	reqPrinter = []byte{0x10, 0x04, 1}
	reqOffline = []byte{0x10, 0x04, 2}
	reqPaper   = []byte{0x10, 0x04, 4}
)

// DefaultStatusTimeout is how long QueryStatus waits for each answer.
// Printers answer real-time commands within milliseconds, even with a full
// receive buffer, but serial lines at 9600 baud and busy USB stacks add
// latency.
const DefaultStatusTimeout = 500 * time.Millisecond

// QueryStatus asks the printer for its status with DLE EOT 1, 2 and 4,
// waiting at most timeout for each answer (DefaultStatusTimeout if zero).
func QueryStatus(t Transport, timeout time.Duration) (Status, error) {
	if timeout <= 0 {
		timeout = DefaultStatusTimeout
	}
	var s Status
	var b [3]byte
	for i, req := range [][]byte{reqPrinter, reqOffline, reqPaper} {
		v, err := t.Query(req, timeout)
		if err != nil {
			return Status{}, fmt.Errorf("printer: status DLE EOT %d: %w", req[2], err)
		}
		// Every answer has bits 1 and 4 set and bits 0 and 7 clear.
		if v&0x93 != 0x12 {
			return Status{}, fmt.Errorf("%w: DLE EOT %d answered 0x%02X", ErrBadStatus, req[2], v)
		}
		b[i] = v
	}
	s.Offline = b[0]&0x08 != 0
	s.CoverOpen = b[1]&0x04 != 0
	s.Error = b[1]&0x40 != 0
	s.PaperOut = b[2]&0x60 != 0 || b[1]&0x20 != 0
	s.PaperNearEnd = b[2]&0x0c != 0
	return s, nil
}

// StatusBytes returns the answers a printer in state s gives to DLE EOT 1,
// 2 and 4. Fakes and simulators use it.
func StatusBytes(s Status) (n1, n2, n4 byte) {
	n1, n2, n4 = 0x12, 0x12, 0x12
	if s.Offline || s.CoverOpen || s.PaperOut || s.Error {
		n1 |= 0x08
	}
	if s.CoverOpen {
		n2 |= 0x04
	}
	if s.PaperOut {
		n2 |= 0x20
		n4 |= 0x60
	}
	if s.Error {
		n2 |= 0x40
	}
	if s.PaperNearEnd || s.PaperOut {
		n4 |= 0x0c
	}
	return n1, n2, n4
}
