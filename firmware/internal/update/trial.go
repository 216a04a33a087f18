package update

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"time"

	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/bundle"
)

// SlotEnv names the environment variable Launch sets for the slot it
// starts: the version that slot is (so a trial is known even when a binary
// reports another version string).
const SlotEnv = "QRSTAND_SLOT"

// Launch runs at the start of the packaged daemon (not in a slot, where
// SlotEnv is set) and says which executable should run: a slot's path, or
// "" for the packaged binary itself. It starts a pending version on trial
// (counting the attempt), and rolls back a version that is still on trial
// when started again: it exited or crashed before passing its health check.
// self is the packaged binary's version.
func Launch(dir, self string, log *slog.Logger) (exe, slot string, err error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return "", "", nil
	}
	st, err := loadState(dir)
	if err != nil {
		return "", "", err
	}
	if p := st.Pending; p != nil {
		exe := SlotExecutable(dir, p.Version)
		_, serr := os.Stat(exe)
		switch {
		case p.Attempts >= 1:
			log.Warn("update: the new version did not pass its health check; rolling back", "version", p.Version, "previous", p.Previous)
			if err := rollBack(dir, &st, fmt.Sprintf("%s stopped before passing its health check", p.Version)); err != nil {
				return "", "", err
			}
		case serr != nil:
			log.Warn("update: the new version's slot is missing; rolling back", "version", p.Version, "err", serr)
			if err := rollBack(dir, &st, "slot missing: "+serr.Error()); err != nil {
				return "", "", err
			}
		default:
			p.Attempts++
			if err := saveState(dir, st); err != nil {
				return "", "", err
			}
			log.Info("update: starting the new version on trial", "version", p.Version)
			return exe, p.Version, nil
		}
	}
	cur := current(dir)
	if cur == "" {
		return "", "", nil
	}
	if c, ok := bundle.Compare(self, cur); ok && c > 0 {
		// The package was upgraded past the slot: the package wins.
		log.Info("update: the packaged version is newer than the installed update; running the package", "package", self, "slot", cur)
		return "", "", nil
	}
	exe = SlotExecutable(dir, cur)
	if _, err := os.Stat(exe); err != nil {
		log.Warn("update: current slot missing; running the package", "slot", cur, "err", err)
		return "", "", setCurrent(dir, "")
	}
	return exe, cur, nil
}

// OnTrial reports whether this run is a new version on trial (slot is the
// SlotEnv this process was started with).
func (u *Updater) OnTrial(slot string) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return slot != "" && u.state.Pending != nil && u.state.Pending.Version == slot
}

// Commit keeps the version on trial: it passed its health check. Older
// slots but the previous one are removed.
func (u *Updater) Commit(ctx context.Context) error {
	u.mu.Lock()
	p := u.state.Pending
	if p == nil {
		u.mu.Unlock()
		return nil
	}
	u.state.Pending = nil
	u.state.Last = Outcome{Target: p.Version, State: mqtt.UpdateInstalled, Rollout: p.Rollout}
	err := saveState(u.cfg.Dir, u.state)
	u.mu.Unlock()
	if err != nil {
		return err
	}
	pruneSlots(u.cfg.Dir, p.Version, p.Previous)
	u.cfg.Log.Info("update: new version passed its health check", "version", p.Version)
	u.report(ctx)
	return nil
}

// RollBack gives up the version on trial: the link goes back to the
// previous version, which the next start runs. The caller then exits.
func (u *Updater) RollBack(reason string) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.state.Pending == nil {
		return nil
	}
	u.cfg.Log.Warn("update: rolling back", "version", u.state.Pending.Version, "reason", reason)
	return rollBack(u.cfg.Dir, &u.state, reason)
}

// ErrUnhealthy is returned by Watch when the version on trial did not pass
// its health check in time; it has been rolled back and the daemon exits.
var ErrUnhealthy = errors.New("update: new version failed its health check")

// Watch settles a trial: it commits when healthy is closed (the daemon is
// connected to the broker with its journal open) before HealthDeadline,
// and otherwise rolls back and returns ErrUnhealthy. It returns nil at
// once when this run is not on trial, and when ctx ends first (a stop
// during the trial leaves it pending: the next start rolls it back).
func (u *Updater) Watch(ctx context.Context, slot string, healthy <-chan struct{}) error {
	if !u.OnTrial(slot) {
		return nil
	}
	u.report(ctx)
	t := time.NewTimer(u.cfg.HealthDeadline)
	defer t.Stop()
	select {
	case <-healthy:
		return u.Commit(ctx)
	case <-ctx.Done():
		return nil
	case <-t.C:
		reason := fmt.Sprintf("no MQTT connection within %v", u.cfg.HealthDeadline)
		if err := u.RollBack(reason); err != nil {
			return err
		}
		u.report(ctx)
		return fmt.Errorf("%w: %s", ErrUnhealthy, reason)
	}
}

// Fail rolls back the version on trial after an error that ends the
// daemon (its journal would not open, its run failed). It does nothing
// when this run is not on trial.
func (u *Updater) Fail(ctx context.Context, slot string, cause error) {
	if !u.OnTrial(slot) || cause == nil {
		return
	}
	if err := u.RollBack("failed on trial: " + cause.Error()); err != nil {
		u.cfg.Log.Error("update: roll back", "err", err)
		return
	}
	u.report(ctx)
}
