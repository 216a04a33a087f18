package main

import (
	"context"
	"net"
	"os"
	"strconv"
	"time"
)

// notifier speaks systemd's notify protocol (sd_notify(3)): datagrams like
// "READY=1" to the unix socket in $NOTIFY_SOCKET. Outside systemd the
// variable is unset and every call does nothing.
type notifier struct {
	addr string
}

func newNotifier(getenv func(string) string) notifier {
	return notifier{addr: getenv("NOTIFY_SOCKET")}
}

// send writes one state datagram; errors are returned for the log, never
// fatal (a stand without a watchdog still works).
func (n notifier) send(state string) error {
	if n.addr == "" {
		return nil
	}
	addr := n.addr
	if addr[0] == '@' {
		addr = "\x00" + addr[1:] // abstract socket
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Write([]byte(state))
	return err
}

// watchdogEvery is half of systemd's WatchdogSec ($WATCHDOG_USEC, for this
// process per $WATCHDOG_PID), or 0 when there is no watchdog.
func watchdogEvery(getenv func(string) string) time.Duration {
	us, err := strconv.ParseInt(getenv("WATCHDOG_USEC"), 10, 64)
	if err != nil || us <= 0 {
		return 0
	}
	if pid := getenv("WATCHDOG_PID"); pid != "" && pid != strconv.Itoa(os.Getpid()) {
		return 0
	}
	return time.Duration(us) * time.Microsecond / 2
}

// watchdog pings systemd every interval while alive says the daemon works;
// a stuck daemon stops pinging and systemd restarts it.
func (n notifier) watchdog(ctx context.Context, every time.Duration, alive func(context.Context) error, warn func(string, ...any)) {
	if every <= 0 || n.addr == "" {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			cctx, cancel := context.WithTimeout(ctx, every)
			err := alive(cctx)
			cancel()
			if err != nil {
				warn("watchdog: not pinging", "err", err)
				continue
			}
			if err := n.send("WATCHDOG=1"); err != nil {
				warn("watchdog", "err", err)
			}
		}
	}
}
