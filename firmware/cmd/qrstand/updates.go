package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"

	"github.com/qrstand/qrstand/firmware/internal/config"
	"github.com/qrstand/qrstand/firmware/internal/update"
	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/bundle"
)

// defaultUpdateKeys holds the fleet's update signing keys (the packaging
// installs it as a config file): base64 ed25519 public keys, one a line,
// '#' comments. No file: every bundle is refused.
const defaultUpdateKeys = "/etc/qrstand/update-keys"

func firmwareDir(c config.Config) string { return filepath.Join(c.DataDir, "firmware") }

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
	keys, err := bundle.ReadKeysFile(keysFile)
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
