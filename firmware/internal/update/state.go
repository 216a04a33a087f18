package update

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/qrstand/qrstand/mqtt"
)

// State is what DIR/state.json keeps across restarts.
type State struct {
	// Pending is the version on trial, nil when none.
	Pending *Pending `json:"pending,omitempty"`
	// Last is the outcome of the last update tried.
	Last Outcome `json:"last"`
	// Bad lists versions that were rolled back: they are not installed again.
	Bad []string `json:"bad,omitempty"`
}

// Pending is a version installed and not yet proven.
type Pending struct {
	Version  string    `json:"version"`
	Previous string    `json:"previous"` // slot to go back to; "" = the packaged binary
	Rollout  string    `json:"rollout,omitempty"`
	Attempts int       `json:"attempts"` // starts of the new version so far
	Since    time.Time `json:"since"`
}

// Outcome is the last update's result, as reported in update.state.
type Outcome struct {
	Target  string `json:"target,omitempty"`
	State   string `json:"state,omitempty"` // an mqtt.Update* constant
	Rollout string `json:"rollout,omitempty"`
	Error   string `json:"error,omitempty"`
}

func (s *State) isBad(v string) bool {
	for _, b := range s.Bad {
		if b == v {
			return true
		}
	}
	return false
}

const stateFile = "state.json"

func loadState(dir string) (State, error) {
	var s State
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("update: %w", err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		// A damaged state file must not brick the stand: start over from
		// what the current link says, and say so.
		return State{Last: Outcome{State: mqtt.UpdateFailed, Error: "state file unreadable: " + err.Error(), Target: "?"}}, nil
	}
	return s, nil
}

func saveState(dir string, s State) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, stateFile), b, 0o600)
}

// writeFileAtomic writes a temporary file, syncs it and renames it over
// path, then syncs the folder, so a power cut leaves the old or the new
// content.
func writeFileAtomic(path string, b []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return fmt.Errorf("update: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("update: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("update: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("update: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("update: %w", err)
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("update: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("update: sync %s: %w", dir, err)
	}
	return nil
}

// Layout of DIR.
const (
	currentLink = "current"
	slotsDir    = "slots"
	downloadDir = "download"
	// Executable is the payload's name inside a slot.
	Executable = "qrstand"
)

// current returns the version the current link names, "" for none.
func current(dir string) string {
	target, err := os.Readlink(filepath.Join(dir, currentLink))
	if err != nil {
		return ""
	}
	return filepath.Base(target)
}

// setCurrent points the current link at slots/<version>, or removes it for
// "" (the packaged binary), atomically.
func setCurrent(dir, version string) error {
	link := filepath.Join(dir, currentLink)
	if version == "" {
		if err := os.Remove(link); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("update: %w", err)
		}
		return syncDir(dir)
	}
	tmp := link + ".tmp"
	_ = os.Remove(tmp)
	if err := os.Symlink(filepath.Join(slotsDir, version), tmp); err != nil {
		return fmt.Errorf("update: %w", err)
	}
	if err := os.Rename(tmp, link); err != nil {
		return fmt.Errorf("update: %w", err)
	}
	return syncDir(dir)
}

// SlotExecutable is the path of version's executable in dir.
func SlotExecutable(dir, version string) string {
	return filepath.Join(dir, slotsDir, version, Executable)
}
