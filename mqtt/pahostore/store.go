package pahostore

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"
)

const (
	msgExt     = ".msg"
	tmpExt     = ".tmp"
	corruptExt = ".corrupt"
)

// logEvery bounds how often one ongoing disk failure is logged.
const logEvery = time.Minute

// Store is a paho.Store kept in memory and mirrored to a directory. It is
// safe for concurrent use and never panics on a file error.
type Store struct {
	dir string
	log *slog.Logger
	fs  fileSystem

	mu      sync.Mutex
	loaded  bool
	next    uint64
	mem     map[string]*entry
	gone    map[string]bool // deleted keys whose files could not be removed yet
	err     error           // the last disk error while the directory is behind memory
	since   time.Time       // when the directory fell behind
	logged  time.Time       // last warning about it
	failing int             // writes and removes that failed since then
}

type entry struct {
	data   []byte // the encoded packet
	order  uint64 // insertion order, for All
	onDisk bool
}

var _ paho.Store = (*Store)(nil)

// New returns a store mirrored to dir (created 0700 on Open). log gets the
// disk errors (nil: discarded).
func New(dir string, log *slog.Logger) *Store {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Store{dir: dir, log: log, fs: osFS{}, mem: map[string]*entry{}, gone: map[string]bool{}}
}

// Err reports why the directory is behind memory (nil when every packet in
// memory is on disk). The packets are not lost while the process runs.
func (s *Store) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Open loads the packets a previous run left in the directory (the first
// time only: later opens, after a reconnect, keep memory as it is) and
// writes whatever an earlier failure left behind.
func (s *Store) Open() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.loaded {
		s.loaded = true
		s.load()
	}
	s.retry()
}

// load reads every packet file; an unreadable one is renamed aside.
func (s *Store) load() {
	if err := s.fs.MkdirAll(s.dir); err != nil {
		s.fail("create directory", err)
		return
	}
	ents, err := s.fs.ReadDir(s.dir)
	if err != nil {
		s.fail("read directory", err)
		return
	}
	type found struct {
		key string
		mod time.Time
	}
	var keys []found
	for _, de := range ents {
		name := de.Name()
		switch {
		case strings.HasSuffix(name, tmpExt):
			// A write cut short by a crash or a full disk; its packet was
			// never acknowledged as stored.
			_ = s.fs.Remove(filepath.Join(s.dir, name))
		case strings.HasSuffix(name, msgExt) && validKey(strings.TrimSuffix(name, msgExt)):
			info, err := de.Info()
			if err != nil {
				continue
			}
			keys = append(keys, found{strings.TrimSuffix(name, msgExt), info.ModTime()})
		}
	}
	// Oldest first, as paho resends them.
	slices.SortStableFunc(keys, func(a, b found) int { return a.mod.Compare(b.mod) })
	for _, k := range keys {
		path := s.path(k.key, msgExt)
		b, err := s.fs.ReadFile(path)
		if err == nil {
			_, err = decode(b)
		}
		if err != nil {
			s.log.Warn("mqtt store: unreadable packet file moved aside", "file", path, "err", err)
			_ = s.fs.Rename(path, s.path(k.key, corruptExt))
			continue
		}
		s.next++
		s.mem[k.key] = &entry{data: b, order: s.next, onDisk: true}
	}
}

// validKey: paho's keys are "i.<id>" and "o.<id>"; anything else in the
// directory is not ours.
func validKey(k string) bool {
	if len(k) < 3 || (k[:2] != "i." && k[:2] != "o.") {
		return false
	}
	for _, c := range k[2:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Close is a no-op beyond paho's bookkeeping: memory is kept, so packets
// the disk refused survive a reconnect.
func (s *Store) Close() {}

// Put stores m under key: in memory always, on disk when the disk takes it.
func (s *Store) Put(key string, m packets.ControlPacket) {
	var buf bytes.Buffer
	if err := m.Write(&buf); err != nil {
		// An encoding error is paho's bug, not the disk's: nothing to keep.
		s.log.Error("mqtt store: packet does not encode", "key", key, "err", err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next++
	e := &entry{data: buf.Bytes(), order: s.next}
	s.mem[key] = e
	delete(s.gone, key)
	s.retry()
	if err := s.write(key, e.data); err != nil {
		s.fail("write "+key, err)
		return
	}
	e.onDisk = true
	s.recovered()
}

// Get returns a fresh copy of the packet under key, or nil.
func (s *Store) Get(key string) packets.ControlPacket {
	s.mu.Lock()
	e, ok := s.mem[key]
	s.mu.Unlock()
	if !ok {
		return nil
	}
	p, err := decode(e.data)
	if err != nil {
		return nil // cannot happen: it was encoded by Put or checked by load
	}
	return p
}

// All lists the keys in the order they were stored.
func (s *Store) All() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.mem))
	for k := range s.mem {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return cmp.Compare(s.mem[a].order, s.mem[b].order) })
	return keys
}

// Del removes key.
func (s *Store) Del(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.mem, key)
	// Removed even when this packet never reached the disk: an older one
	// under the same key may have (a missing file is not an error).
	if err := s.remove(key); err != nil {
		s.gone[key] = true
		s.fail("remove "+key, err)
		return
	}
	delete(s.gone, key)
	s.recovered()
}

// Reset removes every packet.
func (s *Store) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.mem {
		s.gone[k] = true
	}
	clear(s.mem)
	for k := range s.gone {
		if err := s.remove(k); err != nil {
			s.fail("remove "+k, err)
			return
		}
		delete(s.gone, k)
	}
	s.recovered()
}

// retry writes the packets that are only in memory and removes the files
// of deleted ones; it stops at the first error.
func (s *Store) retry() {
	if s.err == nil {
		return
	}
	for k := range s.gone {
		if err := s.remove(k); err != nil {
			s.fail("remove "+k, err)
			return
		}
		delete(s.gone, k)
	}
	for k, e := range s.mem {
		if e.onDisk {
			continue
		}
		if err := s.write(k, e.data); err != nil {
			s.fail("write "+k, err)
			return
		}
		e.onDisk = true
	}
	s.recovered()
}

// recovered clears the error once memory and disk agree again.
func (s *Store) recovered() {
	if s.err == nil || len(s.gone) > 0 {
		return
	}
	for _, e := range s.mem {
		if !e.onDisk {
			return
		}
	}
	s.log.Info("mqtt store: disk writes work again; every in-flight packet is on disk",
		"dir", s.dir, "behind_for", time.Since(s.since).Round(time.Second), "failed_ops", s.failing)
	s.err, s.failing = nil, 0
}

// fail records a disk error, logging the first and then at most once per
// logEvery.
func (s *Store) fail(op string, err error) {
	s.failing++
	first := s.err == nil
	s.err = fmt.Errorf("mqtt store %s: %s: %w", s.dir, op, err)
	if first {
		s.since = time.Now()
	}
	if first || time.Since(s.logged) >= logEvery {
		s.logged = time.Now()
		behind := 0
		for _, e := range s.mem {
			if !e.onDisk {
				behind++
			}
		}
		s.log.Error("mqtt store: cannot write to disk; in-flight packets kept in memory and written when space returns",
			"err", s.err, "memory_only", behind, "failed_ops", s.failing)
	}
}

// decode reads one packet. paho's decoder trusts the lengths inside the
// packet; a damaged file must not take the process down with it.
func decode(b []byte) (p packets.ControlPacket, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("undecodable packet: %v", r)
		}
	}()
	return packets.ReadPacket(bytes.NewReader(b))
}

func (s *Store) path(key, ext string) string { return filepath.Join(s.dir, key+ext) }

// write puts data in key's file: a temporary file renamed over the old one,
// so a reader never sees half a packet. It is not synced, as paho's own
// file store is not: a packet lost to a power cut is one the protocol
// brings back (see the package doc), and an fsync per packet would make a
// stand returning to 500 queued payments wait seconds for its SUBACK.
func (s *Store) write(key string, data []byte) error {
	tmp := s.path(key, tmpExt)
	if err := s.fs.WriteFile(tmp, data); err != nil {
		_ = s.fs.Remove(tmp) // a half-written file must not fill the disk further
		return err
	}
	if err := s.fs.Rename(tmp, s.path(key, msgExt)); err != nil {
		_ = s.fs.Remove(tmp)
		return err
	}
	return nil
}

func (s *Store) remove(key string) error {
	err := s.fs.Remove(s.path(key, msgExt))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// fileSystem is the seam tests use to inject disk faults.
type fileSystem interface {
	MkdirAll(dir string) error
	ReadDir(dir string) ([]fs.DirEntry, error)
	ReadFile(path string) ([]byte, error)
	WriteFile(path string, data []byte) error
	Rename(from, to string) error
	Remove(path string) error
}

type osFS struct{}

func (osFS) MkdirAll(dir string) error                 { return os.MkdirAll(dir, 0o700) }
func (osFS) ReadDir(dir string) ([]fs.DirEntry, error) { return os.ReadDir(dir) }
func (osFS) ReadFile(path string) ([]byte, error)      { return os.ReadFile(path) }
func (osFS) Rename(from, to string) error              { return os.Rename(from, to) }
func (osFS) Remove(path string) error                  { return os.Remove(path) }

func (osFS) WriteFile(path string, data []byte) error { return os.WriteFile(path, data, 0o600) }
