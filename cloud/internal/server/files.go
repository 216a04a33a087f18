package server

import (
	"fmt"
	"os"
)

// privateDir creates dir (and parents) as 0700 and tightens an existing
// one: the data directory holds the database, keys and dev logins, and the
// libraries writing the broker's and the MQTT client's state choose their
// own (group- or world-readable) file modes.
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("server: data dir: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("server: data dir: %w", err)
	}
	if fi.Mode().Perm() != 0o700 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("server: data dir %s: %w", dir, err)
		}
	}
	return nil
}
