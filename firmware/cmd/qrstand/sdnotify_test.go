package main

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// The notifier's datagrams reach a unixgram socket as systemd's would.
func TestNotifier(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify")
	ln, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	env := map[string]string{"NOTIFY_SOCKET": sock, "WATCHDOG_USEC": "20000"}
	getenv := func(k string) string { return env[k] }
	n := newNotifier(getenv)
	if err := n.send("READY=1"); err != nil {
		t.Fatal(err)
	}
	read := func() string {
		buf := make([]byte, 64)
		_ = ln.SetReadDeadline(time.Now().Add(10 * time.Second))
		k, err := ln.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		return string(buf[:k])
	}
	if got := read(); got != "READY=1" {
		t.Fatalf("got %q", got)
	}
	every := watchdogEvery(getenv)
	if every != 10*time.Millisecond {
		t.Fatalf("watchdogEvery = %v", every)
	}
	// A daemon that says it is not alive sends no ping; one that is, does.
	alive := make(chan error, 1)
	alive <- errors.New("journal stuck")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	calls := make(chan struct{}, 100)
	go func() {
		defer close(done)
		n.watchdog(ctx, every, func(context.Context) error {
			calls <- struct{}{}
			select {
			case err := <-alive:
				return err
			default:
				return nil
			}
		}, func(string, ...any) {})
	}()
	if got := read(); got != "WATCHDOG=1" {
		t.Fatalf("got %q", got)
	}
	cancel()
	<-done
	if len(calls) < 2 {
		t.Errorf("%d health checks before the first ping, want the failed one first", len(calls))
	}
	env["WATCHDOG_PID"] = strconv.Itoa(1)
	if watchdogEvery(getenv) != 0 {
		t.Error("a watchdog meant for another pid was used")
	}
	if err := newNotifier(func(string) string { return "" }).send("READY=1"); err != nil {
		t.Errorf("outside systemd: %v", err)
	}
}
