package printer

import (
	"context"
	"fmt"
	"net"
	"time"
)

// TCP is a network printer on its raw port (9100, "JetDirect").
type TCP struct {
	c            net.Conn
	writeTimeout time.Duration
}

var _ Transport = (*TCP)(nil)

// DefaultWriteTimeout bounds one write to a network printer, so that a
// printer that stopped reading does not hang the queue forever.
const DefaultWriteTimeout = 30 * time.Second

// DialTCP connects to a network printer. addr is host or host:port; the
// port defaults to 9100.
func DialTCP(ctx context.Context, addr string) (*TCP, error) {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		addr = net.JoinHostPort(addr, "9100")
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("printer: dial %s: %w", addr, err)
	}
	return &TCP{c: c, writeTimeout: DefaultWriteTimeout}, nil
}

// Write implements Transport.
func (t *TCP) Write(p []byte) (int, error) {
	if err := t.c.SetWriteDeadline(time.Now().Add(t.writeTimeout)); err != nil {
		return 0, fmt.Errorf("printer: tcp write deadline: %w", err)
	}
	n, err := t.c.Write(p)
	if err != nil {
		return n, fmt.Errorf("printer: tcp write: %w", err)
	}
	return n, nil
}

// Query implements Transport.
func (t *TCP) Query(req []byte, timeout time.Duration) (byte, error) {
	return queryDeadline(t.c, req, timeout)
}

// Close implements Transport.
func (t *TCP) Close() error { return t.c.Close() }
