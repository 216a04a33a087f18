package update

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/bundle"
)

var (
	fleetKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	otherKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{8}, ed25519.SeedSize))
)

// server serves bundles by path over TLS with Range support (ServeContent)
// and records the Range headers it saw. cut, when set, makes the next
// full-length answer stop after that many bytes.
type server struct {
	*httptest.Server
	mu     sync.Mutex
	files  map[string][]byte
	ranges []string
	cut    int
}

func newServer(t *testing.T) *server {
	s := &server{files: map[string][]byte{}}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		b, ok := s.files[r.URL.Path]
		s.ranges = append(s.ranges, r.Header.Get("Range"))
		cut := s.cut
		s.cut = 0
		s.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		if cut > 0 {
			// A connection that drops mid-body.
			w.Header().Set("Content-Length", itoa(len(b)))
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(b[:cut])
			panic(http.ErrAbortHandler)
		}
		http.ServeContent(w, r, "bundle", time.Time{}, bytes.NewReader(b))
	}))
	t.Cleanup(s.Close)
	return s
}

func itoa(n int) string { return string(appendInt(nil, n)) }
func appendInt(b []byte, n int) []byte {
	if n >= 10 {
		b = appendInt(b, n/10)
	}
	return append(b, byte('0'+n%10))
}

// publish signs a bundle and returns its announcement.
func (s *server) publish(t *testing.T, m bundle.Manifest, payload []byte, key ed25519.PrivateKey) *mqtt.FirmwareUpdate {
	t.Helper()
	var b bytes.Buffer
	if err := bundle.Write(&b, m, payload, key); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b.Bytes())
	path := "/firmware/" + hex.EncodeToString(sum[:])
	s.mu.Lock()
	s.files[path] = b.Bytes()
	s.mu.Unlock()
	return &mqtt.FirmwareUpdate{Version: m.Version, URL: s.URL + path, SHA256: hex.EncodeToString(sum[:]), Size: int64(b.Len()), Rollout: "ro_test"}
}

type rig struct {
	dir     string
	srv     *server
	mu      sync.Mutex
	reports []mqtt.UpdateState
}

func (r *rig) updater(t *testing.T, version string) *Updater {
	t.Helper()
	u, err := New(Config{
		Dir: r.dir, Keys: []ed25519.PublicKey{fleetKey.Public().(ed25519.PublicKey)}, Version: version,
		Model: "qrstand-pi", Arch: "arm64", HTTP: r.srv.Client(), HealthDeadline: 2 * time.Minute,
		Report: func(_ context.Context, s *mqtt.UpdateState) {
			r.mu.Lock()
			r.reports = append(r.reports, *s)
			r.mu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (r *rig) last() mqtt.UpdateState {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.reports) == 0 {
		return mqtt.UpdateState{}
	}
	return r.reports[len(r.reports)-1]
}

func newRig(t *testing.T) *rig {
	return &rig{dir: filepath.Join(t.TempDir(), "firmware"), srv: newServer(t)}
}

func manifest(v string) bundle.Manifest {
	return bundle.Manifest{Version: v, Model: "qrstand-pi", Arch: "arm64"}
}

var payload14 = []byte("#!/bin/sh\n# qrstand v1.4.0\n" + string(bytes.Repeat([]byte("x"), 64<<10)))

func TestValidBundleInstalledAndCommitted(t *testing.T) {
	r := newRig(t)
	ann := r.srv.publish(t, manifest("v1.4.0"), payload14, fleetKey)
	u := r.updater(t, "v1.3.0")
	if err := u.Apply(context.Background(), ann); !errors.Is(err, ErrRestart) {
		t.Fatalf("Apply = %v, want ErrRestart", err)
	}
	got, err := os.ReadFile(SlotExecutable(r.dir, "v1.4.0"))
	if err != nil || !bytes.Equal(got, payload14) {
		t.Fatalf("slot executable: %v (%d bytes)", err, len(got))
	}
	if fi, _ := os.Stat(SlotExecutable(r.dir, "v1.4.0")); fi.Mode()&0o100 == 0 {
		t.Errorf("slot executable mode %v", fi.Mode())
	}
	if cur := current(r.dir); cur != "v1.4.0" {
		t.Errorf("current -> %q", cur)
	}
	if entries, _ := os.ReadDir(filepath.Join(r.dir, downloadDir)); len(entries) != 0 {
		t.Errorf("download folder not cleaned: %v", entries)
	}

	// The packaged v1.3.0 restarts and starts the new slot on trial.
	exe, slot, err := Launch(r.dir, "v1.3.0", nil)
	if err != nil || exe != SlotExecutable(r.dir, "v1.4.0") || slot != "v1.4.0" {
		t.Fatalf("Launch = %q, %q, %v", exe, slot, err)
	}
	// The new version connects in time: committed.
	nu := r.updater(t, "v1.4.0")
	healthy := make(chan struct{})
	close(healthy)
	if err := nu.Watch(context.Background(), slot, healthy); err != nil {
		t.Fatal(err)
	}
	if rep := r.last(); rep.State != mqtt.UpdateInstalled || rep.Target != "v1.4.0" || rep.Running != "v1.4.0" {
		t.Errorf("report %+v", rep)
	}
	// Later starts run the committed slot, no longer on trial.
	exe, slot, _ = Launch(r.dir, "v1.3.0", nil)
	if exe != SlotExecutable(r.dir, "v1.4.0") || nu.OnTrial(slot) {
		t.Errorf("after commit: Launch = %q, on trial %v", exe, nu.OnTrial(slot))
	}
}

func TestBundlesRejected(t *testing.T) {
	for name, tc := range map[string]struct {
		m       bundle.Manifest
		key     ed25519.PrivateKey
		mod     func(*mqtt.FirmwareUpdate)
		want    error
		state   string
		running string
	}{
		"bad signature":  {manifest("v1.4.0"), otherKey, nil, ErrSignature, mqtt.UpdateRejected, "v1.3.0"},
		"wrong model":    {bundle.Manifest{Version: "v1.4.0", Model: "qrstand-esp32", Arch: "arm64"}, fleetKey, nil, ErrWrongDevice, mqtt.UpdateRejected, "v1.3.0"},
		"wrong arch":     {bundle.Manifest{Version: "v1.4.0", Model: "qrstand-pi", Arch: "armv7"}, fleetKey, nil, ErrWrongDevice, mqtt.UpdateRejected, "v1.3.0"},
		"downgrade":      {manifest("v1.2.0"), fleetKey, nil, ErrDowngrade, mqtt.UpdateRejected, "v1.3.0"},
		"same version":   {manifest("v1.3.0"), fleetKey, nil, ErrDowngrade, mqtt.UpdateRejected, "v1.3.0"},
		"signed older":   {manifest("v1.2.0"), fleetKey, func(f *mqtt.FirmwareUpdate) { f.Version = "v9.0.0" }, bundle.ErrFormat, mqtt.UpdateRejected, "v1.3.0"},
		"wrong checksum": {manifest("v1.4.0"), fleetKey, func(f *mqtt.FirmwareUpdate) { f.SHA256 = hex.EncodeToString(make([]byte, 32)) }, ErrChecksum, mqtt.UpdateRejected, "v1.3.0"},
		"plain http":     {manifest("v1.4.0"), fleetKey, func(f *mqtt.FirmwareUpdate) { f.URL = "http://127.0.0.1:1/x" }, ErrInsecure, mqtt.UpdateRejected, "v1.3.0"},
	} {
		t.Run(name, func(t *testing.T) {
			r := newRig(t)
			ann := r.srv.publish(t, tc.m, payload14, tc.key)
			if tc.mod != nil {
				tc.mod(ann)
			}
			u := r.updater(t, tc.running)
			err := u.Apply(context.Background(), ann)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Apply = %v, want %v", err, tc.want)
			}
			if rep := r.last(); rep.State != tc.state || rep.Error == "" {
				t.Errorf("report %+v, want state %s with an error", rep, tc.state)
			}
			if cur := current(r.dir); cur != "" {
				t.Errorf("current link moved to %q", cur)
			}
			if entries, _ := os.ReadDir(filepath.Join(r.dir, slotsDir)); len(entries) != 0 {
				t.Errorf("slots left behind: %v", entries)
			}
			if exe, _, _ := Launch(r.dir, tc.running, nil); exe != "" {
				t.Errorf("Launch runs %q after a rejected bundle", exe)
			}
		})
	}
}

// A download cut short is not installed; the next announcement resumes it
// with a Range request from where it stopped.
func TestTruncatedDownloadRejectedThenResumed(t *testing.T) {
	r := newRig(t)
	ann := r.srv.publish(t, manifest("v1.4.0"), payload14, fleetKey)
	r.srv.mu.Lock()
	r.srv.cut = 20000
	r.srv.mu.Unlock()
	u := r.updater(t, "v1.3.0")
	err := u.Apply(context.Background(), ann)
	if !errors.Is(err, ErrTruncated) {
		t.Fatalf("Apply of a cut download = %v, want ErrTruncated", err)
	}
	if rep := r.last(); rep.State != mqtt.UpdateFailed {
		t.Errorf("report %+v, want failed", rep)
	}
	if current(r.dir) != "" {
		t.Fatal("a truncated bundle was installed")
	}
	part, err := os.Stat(filepath.Join(r.dir, downloadDir, ann.SHA256+".part"))
	if err != nil || part.Size() != 20000 {
		t.Fatalf("partial download kept: %v, %v", part, err)
	}
	if err := u.Apply(context.Background(), ann); !errors.Is(err, ErrRestart) {
		t.Fatalf("resumed Apply = %v", err)
	}
	r.srv.mu.Lock()
	defer r.srv.mu.Unlock()
	if got := r.srv.ranges; len(got) != 2 || got[0] != "" || got[1] != "bytes=20000-" {
		t.Errorf("Range headers %q, want a full GET then bytes=20000-", got)
	}
}

// A new version that crashes (or exits) on trial is rolled back at the next
// start, and the same version is refused afterwards.
func TestCrashOnTrialRolledBack(t *testing.T) {
	r := newRig(t)
	u := r.updater(t, "v1.3.0")
	if err := u.Apply(context.Background(), r.srv.publish(t, manifest("v1.4.0"), payload14, fleetKey)); !errors.Is(err, ErrRestart) {
		t.Fatal(err)
	}
	if exe, _, _ := Launch(r.dir, "v1.3.0", nil); exe == "" {
		t.Fatal("trial not started")
	}
	// v1.4.0 dies before its health check; systemd starts the package again.
	exe, slot, err := Launch(r.dir, "v1.3.0", nil)
	if err != nil || exe != "" || slot != "" {
		t.Fatalf("Launch after a failed trial = %q, %q, %v; want the packaged binary", exe, slot, err)
	}
	if cur := current(r.dir); cur != "" {
		t.Errorf("current -> %q after rollback", cur)
	}
	if _, err := os.Stat(filepath.Join(r.dir, slotsDir, "v1.4.0")); !os.IsNotExist(err) {
		t.Errorf("bad slot kept: %v", err)
	}
	back := r.updater(t, "v1.3.0")
	if rep := back.Report(); rep.State != mqtt.UpdateRolledBack || rep.Target != "v1.4.0" || rep.Running != "v1.3.0" {
		t.Errorf("report after rollback %+v", rep)
	}
	if err := back.Apply(context.Background(), r.srv.publish(t, manifest("v1.4.0"), payload14, fleetKey)); !errors.Is(err, ErrRolledBack) {
		t.Errorf("re-announced bad version: %v, want ErrRolledBack", err)
	}
}

// A new version that runs but never connects is rolled back at the health
// deadline, to the previous slot (not the package).
func TestUnhealthyRolledBackToPreviousSlot(t *testing.T) {
	r := newRig(t)
	u := r.updater(t, "v1.3.0")
	if err := u.Apply(context.Background(), r.srv.publish(t, manifest("v1.4.0"), payload14, fleetKey)); !errors.Is(err, ErrRestart) {
		t.Fatal(err)
	}
	_, slot, _ := Launch(r.dir, "v1.3.0", nil)
	v14 := r.updater(t, "v1.4.0")
	healthy := make(chan struct{})
	close(healthy)
	if err := v14.Watch(context.Background(), slot, healthy); err != nil {
		t.Fatal(err)
	}
	// v1.4.0 is good; now v1.5.0 arrives and never gets healthy.
	if err := v14.Apply(context.Background(), r.srv.publish(t, manifest("v1.5.0"), []byte("v1.5.0 payload"), fleetKey)); !errors.Is(err, ErrRestart) {
		t.Fatal(err)
	}
	_, slot, _ = Launch(r.dir, "v1.3.0", nil)
	v15 := r.updater(t, "v1.5.0")
	// Only the wait runs on the bubble's clock (the HTTPS server above
	// does real I/O, which a bubble cannot wait out).
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		err := v15.Watch(context.Background(), slot, make(chan struct{}))
		if !errors.Is(err, ErrUnhealthy) {
			t.Fatalf("Watch = %v, want ErrUnhealthy", err)
		}
		if waited := time.Since(start); waited != 2*time.Minute {
			t.Errorf("rolled back after %v, want the 2m deadline", waited)
		}
	})
	if rep := r.last(); rep.State != mqtt.UpdateRolledBack || rep.Target != "v1.5.0" {
		t.Errorf("report %+v", rep)
	}
	exe, slot, _ := Launch(r.dir, "v1.3.0", nil)
	if exe != SlotExecutable(r.dir, "v1.4.0") || slot != "v1.4.0" {
		t.Errorf("after rollback Launch = %q, %q; want v1.4.0's slot", exe, slot)
	}
}

func TestAnnounceKeepsNewest(t *testing.T) {
	r := newRig(t)
	u := r.updater(t, "v1.3.0")
	u.Announce(&mqtt.FirmwareUpdate{Version: "v1.4.0"})
	u.Announce(&mqtt.FirmwareUpdate{Version: "v1.5.0"})
	if f := <-u.work; f.Version != "v1.5.0" {
		t.Errorf("queued %s, want the newest", f.Version)
	}
}
