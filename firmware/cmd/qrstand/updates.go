package main

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/qrstand/qrstand/firmware/internal/config"
	"github.com/qrstand/qrstand/firmware/internal/update"
	"github.com/qrstand/qrstand/mqtt"
)

// defaultUpdateKeys holds the fleet's update signing keys (the packaging
// installs it as a config file): base64 ed25519 public keys, one a line,
// '#' comments. No file: every bundle is refused.
const defaultUpdateKeys = "/etc/qrstand/update-keys"

func firmwareDir(c config.Config) string { return filepath.Join(c.DataDir, "firmware") }

// readKeys reads an update-keys file. A missing file is no keys.
func readKeys(path string) ([]ed25519.PublicKey, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var keys []ed25519.PublicKey
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(line)
		if err != nil || len(b) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("%s:%d: not a base64 ed25519 public key", path, n)
		}
		keys = append(keys, ed25519.PublicKey(b))
	}
	return keys, sc.Err()
}

// launch runs before the daemon in the packaged binary: it starts an
// installed update (or rolls back a failed one) by exec'ing its slot. It
// returns only when this binary should run the stand itself.
func launch(o options, log *slog.Logger, getenv func(string) string) error {
	if getenv(update.SlotEnv) != "" {
		return nil
	}
	exe, slot, err := update.Launch(firmwareDir(o.cfg), version, log)
	if err != nil {
		// Never let the update machinery keep a stand from starting.
		log.Error("update: launch; running the packaged version", "err", err)
		return nil
	}
	if exe == "" {
		return nil
	}
	env := append(os.Environ(), update.SlotEnv+"="+slot)
	log.Info("update: running installed version", "version", slot, "exe", exe)
	if err := syscall.Exec(exe, append([]string{exe}, os.Args[1:]...), env); err != nil {
		log.Error("update: exec; running the packaged version", "exe", exe, "err", err)
	}
	return nil
}

// newUpdater returns the stand's updater. In sim mode plain http bundle
// URLs are accepted (the dev cloud serves http).
func newUpdater(c config.Config, keysFile string, log *slog.Logger, report func(context.Context, *mqtt.UpdateState)) (*update.Updater, error) {
	keys, err := readKeys(keysFile)
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		log.Info("update: no trusted update keys; updates will be refused", "file", keysFile)
	}
	return update.New(update.Config{
		Dir: firmwareDir(c), Keys: keys, Version: version, AllowHTTP: c.Sim.Dir != "", Report: report, Log: log,
	})
}

// restartCause is what ends a run for the update machinery.
func restartCause(ctx context.Context) error {
	if c := context.Cause(ctx); errors.Is(c, update.ErrRestart) || errors.Is(c, update.ErrUnhealthy) {
		return c
	}
	return nil
}
