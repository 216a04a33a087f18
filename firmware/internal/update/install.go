package update

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/bundle"
)

// install verifies the downloaded bundle at path and, if it is for this
// stand, writes its payload into a new slot, records the trial and points
// the current link at it.
func (u *Updater) install(f *mqtt.FirmwareUpdate, path string) error {
	in, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("update: %w", err)
	}
	defer in.Close()
	slots := filepath.Join(u.cfg.Dir, slotsDir)
	tmp, err := os.MkdirTemp(slots, ".new-")
	if err != nil {
		return fmt.Errorf("update: %w", err)
	}
	defer os.RemoveAll(tmp) // after the rename below, nothing is left here
	exe := filepath.Join(tmp, Executable)
	out, err := os.OpenFile(exe, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return fmt.Errorf("update: %w", err)
	}
	m, err := bundle.Read(in, u.cfg.Keys, out)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		if errors.Is(err, bundle.ErrSignature) || errors.Is(err, bundle.ErrFormat) || errors.Is(err, bundle.ErrPayload) {
			_ = os.Remove(path) // a bad bundle is not resumed or retried as is
		}
		return fmt.Errorf("update: %s: %w", f.Version, err)
	}
	if err := u.checkManifest(f, m); err != nil {
		_ = os.Remove(path)
		return err
	}
	dst := filepath.Join(slots, m.Version)
	if err := os.RemoveAll(dst); err != nil {
		return fmt.Errorf("update: %w", err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("update: %w", err)
	}
	if err := syncDir(slots); err != nil {
		return err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	// Pending first, then the link: a power cut between the two leaves a
	// pending trial that Launch starts from its slot all the same.
	u.state.Pending = &Pending{Version: m.Version, Previous: current(u.cfg.Dir), Rollout: f.Rollout, Since: u.cfg.Now().UTC()}
	u.state.Last = Outcome{Target: m.Version, State: mqtt.UpdateTrial, Rollout: f.Rollout}
	if err := saveState(u.cfg.Dir, u.state); err != nil {
		u.state.Pending = nil
		return err
	}
	if err := setCurrent(u.cfg.Dir, m.Version); err != nil {
		return err
	}
	_ = os.Remove(path)
	u.cleanDownloads("")
	return nil
}

// checkManifest holds the signed manifest against this stand and the
// announcement.
func (u *Updater) checkManifest(f *mqtt.FirmwareUpdate, m bundle.Manifest) error {
	switch {
	case m.Model != u.cfg.Model || m.Arch != u.cfg.Arch:
		return fmt.Errorf("%w: bundle %s/%s, this stand %s/%s", ErrWrongDevice, m.Model, m.Arch, u.cfg.Model, u.cfg.Arch)
	case m.Version != f.Version:
		return fmt.Errorf("%w: announced %s, signed manifest says %s", bundle.ErrFormat, f.Version, m.Version)
	}
	if c, ok := bundle.Compare(m.Version, u.cfg.Version); ok && c <= 0 {
		return fmt.Errorf("%w: %s is not newer than %s", ErrDowngrade, m.Version, u.cfg.Version)
	}
	u.mu.Lock()
	bad := u.state.isBad(m.Version)
	u.mu.Unlock()
	if bad {
		return fmt.Errorf("%w: %s", ErrRolledBack, m.Version)
	}
	return nil
}

// rollBack points the link back at the previous version, remembers the
// failed version as bad and removes its slot. The caller holds the state.
func rollBack(dir string, st *State, reason string) error {
	p := st.Pending
	if p == nil {
		return nil
	}
	if err := setCurrent(dir, p.Previous); err != nil {
		return err
	}
	st.Bad = append(st.Bad, p.Version)
	if len(st.Bad) > 20 {
		st.Bad = st.Bad[len(st.Bad)-20:]
	}
	st.Last = Outcome{Target: p.Version, State: mqtt.UpdateRolledBack, Rollout: p.Rollout, Error: reason}
	st.Pending = nil
	if err := saveState(dir, *st); err != nil {
		return err
	}
	if err := os.RemoveAll(filepath.Join(dir, slotsDir, p.Version)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("update: %w", err)
	}
	return nil
}

// pruneSlots removes every slot but keep (and the temporary ones of an
// install cut short).
func pruneSlots(dir string, keep ...string) {
	entries, err := os.ReadDir(filepath.Join(dir, slotsDir))
	if err != nil {
		return
	}
next:
	for _, e := range entries {
		for _, k := range keep {
			if k != "" && e.Name() == k {
				continue next
			}
		}
		_ = os.RemoveAll(filepath.Join(dir, slotsDir, e.Name()))
	}
}
