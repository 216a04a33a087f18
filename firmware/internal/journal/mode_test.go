//go:build unix

package journal

import (
	"os"
	"path/filepath"
	"testing"
)

// TestJournalFilesPrivate: the journal holds payments and the store
// binding; it and its WAL are readable by the stand's user only, whatever
// the umask.
func TestJournalFilesPrivate(t *testing.T) {
	old := umask(0o022)
	defer umask(old)
	path := filepath.Join(t.TempDir(), "journal.db")
	j, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if err := j.SetSetting(t.Context(), "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if m := fi.Mode().Perm(); m != 0o600 {
			t.Errorf("%s: mode %v, want 0600", filepath.Base(p), m)
		}
	}
}
