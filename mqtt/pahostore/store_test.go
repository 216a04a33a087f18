package pahostore

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/eclipse/paho.mqtt.golang/packets"
)

func publish(id uint16, payload string) *packets.PublishPacket {
	p := packets.NewControlPacket(packets.Publish).(*packets.PublishPacket)
	p.Qos, p.MessageID, p.TopicName, p.Payload = 1, id, "qrs/v1/d/stand-1/up", []byte(payload)
	return p
}

func payload(t *testing.T, s *Store, key string) string {
	t.Helper()
	p, ok := s.Get(key).(*packets.PublishPacket)
	if !ok {
		t.Fatalf("Get(%s) = %v, want a publish", key, s.Get(key))
	}
	return string(p.Payload)
}

// faultyFS fails writes with ENOSPC while full is set.
type faultyFS struct {
	osFS
	mu   sync.Mutex
	full bool
}

func (f *faultyFS) setFull(v bool) { f.mu.Lock(); f.full = v; f.mu.Unlock() }

func (f *faultyFS) WriteFile(path string, data []byte) error {
	f.mu.Lock()
	full := f.full
	f.mu.Unlock()
	if full {
		// Like a real full disk: the file is created, the data does not fit.
		os.WriteFile(path, nil, 0o600)
		return &fs.PathError{Op: "write", Path: path, Err: syscall.ENOSPC}
	}
	return f.osFS.WriteFile(path, data)
}

func files(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// TestWriteErrorsKeepPackets: while the disk refuses writes nothing panics,
// every packet stays readable in order, and once the disk takes writes
// again the directory catches up, so a new process finds them all.
func TestWriteErrorsKeepPackets(t *testing.T) {
	s, ffs, dir := openFaulty(t)
	s.Put("o.1", publish(1, "before"))
	ffs.setFull(true)
	s.Put("o.2", publish(2, "during-1"))
	s.Put("i.3", publish(3, "during-2"))
	s.Del("o.1") // a file that must go once the disk works
	if err := s.Err(); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Err = %v, want ENOSPC", err)
	}
	if got := s.All(); !slices.Equal(got, []string{"o.2", "i.3"}) {
		t.Fatalf("All = %q, want o.2 i.3 in order", got)
	}
	if payload(t, s, "o.2") != "during-1" || payload(t, s, "i.3") != "during-2" {
		t.Fatal("packets changed in memory")
	}
	for _, f := range files(t, dir) {
		if strings.HasSuffix(f, tmpExt) {
			t.Errorf("half-written %s left on the full disk", f)
		}
	}

	ffs.setFull(false)
	s.Close()
	s.Open() // a reconnect retries
	if err := s.Err(); err != nil {
		t.Fatalf("Err after space returned = %v", err)
	}
	if got := files(t, dir); !slices.Equal(got, []string{"i.3.msg", "o.2.msg"}) {
		t.Fatalf("files = %q, want i.3.msg o.2.msg", got)
	}
	s2 := New(dir, nil)
	s2.Open()
	if got := s2.All(); len(got) != 2 || payload(t, s2, "o.2") != "during-1" || payload(t, s2, "i.3") != "during-2" {
		t.Fatalf("reloaded %q", got)
	}
}

// TestLoadSkipsDebris: a truncated packet file is moved aside, a leftover
// temporary file removed, foreign files ignored.
func TestLoadSkipsDebris(t *testing.T) {
	dir := t.TempDir()
	s := New(dir, nil)
	s.Open()
	s.Put("o.7", publish(7, "good"))
	os.WriteFile(filepath.Join(dir, "o.8.msg"), []byte{0x32, 0x7f, 0x00}, 0o600)
	os.WriteFile(filepath.Join(dir, "o.9.tmp"), []byte("x"), 0o600)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o600)
	s2 := New(dir, nil)
	s2.Open()
	if got := s2.All(); !slices.Equal(got, []string{"o.7"}) {
		t.Fatalf("All = %q, want o.7", got)
	}
	if got := files(t, dir); !slices.Equal(got, []string{"notes.txt", "o.7.msg", "o.8.corrupt"}) {
		t.Fatalf("files = %q", got)
	}
	s2.Reset()
	if got := files(t, dir); !slices.Equal(got, []string{"notes.txt", "o.8.corrupt"}) {
		t.Fatalf("after Reset files = %q", got)
	}
}

// smallDisk mounts a tmpfs of size bytes (root only) and returns its path.
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput()
	if err != nil {
		t.Skipf("a real full disk needs a tmpfs mount, not permitted here (%v: %s); TestWriteErrorsKeepPackets covers the same path with injected errors", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	return dir
}

// fill writes a filler file until the file system is full.
func fill(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			return path
		}
	}
}

// TestRealFullDisk does the same on a real, full tmpfs.
func TestRealFullDisk(t *testing.T) {
	disk := smallDisk(t, "64k")
	dir := filepath.Join(disk, "mqtt")
	s := New(dir, nil)
	s.Open()
	s.Put("o.1", publish(1, "before"))
	filler := fill(t, disk)
	s.Put("o.2", publish(2, "during"))
	s.Put("o.4", publish(4, strings.Repeat("x", 8000)))
	s.Del("o.4")
	if err := s.Err(); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Err = %v, want ENOSPC", err)
	}
	if payload(t, s, "o.2") != "during" {
		t.Fatal("packet lost in memory")
	}
	os.Remove(filler)
	s.Put("o.3", publish(3, "after"))
	if err := s.Err(); err != nil {
		t.Fatalf("Err after space returned = %v", err)
	}
	s2 := New(dir, nil)
	s2.Open()
	if payload(t, s2, "o.1") != "before" || payload(t, s2, "o.2") != "during" || payload(t, s2, "o.3") != "after" {
		t.Fatalf("reloaded %q", s2.All())
	}
}

// FuzzLoad: whatever a damaged disk leaves in a packet file, Open neither
// panics nor keeps a packet that does not decode.
func FuzzLoad(f *testing.F) {
	var b bytes.Buffer
	publish(1, "hello").Write(&b)
	f.Add(b.Bytes())
	f.Add([]byte{0x32, 0x7f})
	f.Add([]byte{0x30, 0xff, 0xff, 0xff, 0x7f})
	f.Add([]byte{})
	f.Add([]byte{0x30, 0x02, 0xff, 0xff})
	f.Add([]byte{0x82, 0x03, 0x00, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "o.1.msg"), data, 0o600); err != nil {
			t.Fatal(err)
		}
		s := New(dir, nil)
		s.Open()
		for _, k := range s.All() {
			if s.Get(k) == nil {
				t.Fatalf("kept %s, which does not decode", k)
			}
		}
	})
}

// TestOverwriteThenDelete: a key whose newer packet never reached the
// disk still has its older file removed on Del, so a restart does not
// resend the old packet.
func TestOverwriteThenDelete(t *testing.T) {
	s, ffs, dir := openFaulty(t)
	s.Put("i.5", publish(5, "old"))
	ffs.setFull(true)
	s.Put("i.5", publish(5, "new"))
	if payload(t, s, "i.5") != "new" {
		t.Fatal("memory does not hold the newer packet")
	}
	s.Del("i.5")
	ffs.setFull(false)
	s.Put("o.6", publish(6, "later"))
	if err := s.Err(); err != nil {
		t.Fatalf("Err = %v", err)
	}
	s2 := New(dir, nil)
	s2.Open()
	if got := s2.All(); !slices.Equal(got, []string{"o.6"}) {
		t.Fatalf("after restart All = %q, want o.6 only", got)
	}
}

// openFaulty opens a store in a new directory on a disk that ffs can make
// refuse writes.
func openFaulty(t *testing.T) (s *Store, ffs *faultyFS, dir string) {
	dir, ffs = t.TempDir(), &faultyFS{}
	s = New(dir, nil)
	s.fs = ffs
	s.Open()
	return s, ffs, dir
}
