package firmware

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/qrstand/qrstand/cloud/internal/database"
	"github.com/qrstand/qrstand/cloud/internal/dbtest"
	"github.com/qrstand/qrstand/cloud/internal/storage"
	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/bundle"
)

var (
	fleetKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	otherKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{8}, ed25519.SeedSize))
)

type sent struct {
	stand string
	cmd   *mqtt.StandCommand
}

type rig struct {
	svc   *Service
	st    *storage.Storage
	dir   string
	mu    sync.Mutex
	sent  []sent
	clock time.Time
}

func newRig(t *testing.T, d database.Dialect) *rig {
	db := dbtest.OpenDB(t, d)
	r := &rig{st: storage.New(db, d, dbtest.Box(t)), dir: t.TempDir(), clock: time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)}
	svc, err := New(Config{
		Dir: filepath.Join(r.dir, "bundles"), Keys: []ed25519.PublicKey{fleetKey.Public().(ed25519.PublicKey)},
		BaseURL: "https://cloud.example.com/", Now: func() time.Time { return r.clock },
		Send: func(_ context.Context, id string, c *mqtt.StandCommand) error {
			if err := c.Validate(); err != nil {
				t.Errorf("sent an invalid command: %v", err)
			}
			r.mu.Lock()
			r.sent = append(r.sent, sent{id, c})
			r.mu.Unlock()
			return nil
		},
	}, db, d)
	if err != nil {
		t.Fatal(err)
	}
	r.svc = svc
	return r
}

func (r *rig) bundleFile(t *testing.T, version, arch string, key ed25519.PrivateKey) string {
	t.Helper()
	var b bytes.Buffer
	if err := bundle.Write(&b, bundle.Manifest{Version: version, Model: "qrstand-pi", Arch: arch}, []byte("qrstand "+version+" "+arch), key); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(r.dir, version+"-"+arch+".bundle")
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func (r *rig) takeSent() []sent {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.sent
	r.sent = nil
	return s
}

func (r *rig) register(t *testing.T, ids ...string) {
	for _, id := range ids {
		if _, err := r.st.RegisterStand(context.Background(), id, "secret-"+id, r.clock); err != nil {
			t.Fatal(err)
		}
	}
}

func report(running, arch, state, target, rollout, errText string) *mqtt.UpdateState {
	return &mqtt.UpdateState{Running: running, Model: "qrstand-pi", Arch: arch, State: state, Target: target, Rollout: rollout, Error: errText}
}

func TestAddBundleAndServe(t *testing.T) {
	for _, d := range dbtest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			r := newRig(t, d)
			ctx := context.Background()
			path := r.bundleFile(t, "v1.4.0", "arm64", fleetKey)
			whole, _ := os.ReadFile(path)
			b, err := r.svc.AddBundle(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := r.svc.AddBundle(ctx, r.bundleFile(t, "v1.4.0", "arm64", fleetKey)); !errors.Is(err, ErrExists) {
				t.Errorf("second add: %v, want ErrExists", err)
			}
			if _, err := r.svc.AddBundle(ctx, r.bundleFile(t, "v1.5.0", "arm64", otherKey)); !errors.Is(err, bundle.ErrSignature) {
				t.Errorf("add of a bundle signed by another key: %v, want ErrSignature", err)
			}
			mux := http.NewServeMux()
			mux.Handle("GET /firmware/{sha256}", r.svc.Handler())
			srv := httptest.NewServer(mux)
			defer srv.Close()
			req, _ := http.NewRequest("GET", srv.URL+"/firmware/"+b.SHA256, nil)
			req.Header.Set("Range", "bytes=10-")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, whole[10:]) || int64(len(whole)) != b.Size {
				t.Errorf("Range GET: %s, %d bytes (bundle %d)", resp.Status, len(body), b.Size)
			}
			for _, bad := range []string{"../x", strings.Repeat("A", 64), strings.Repeat("0", 64)} {
				resp, err := http.Get(srv.URL + "/firmware/" + bad)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusNotFound {
					t.Errorf("GET %s: %s", bad, resp.Status)
				}
			}
		})
	}
}

// A list wave sends each stand the bundle of its architecture once, then
// pauses at the first failure and sends nothing more.
func TestWavePausedByFailures(t *testing.T) {
	for _, d := range dbtest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			r := newRig(t, d)
			ctx := context.Background()
			r.register(t, "qrs-a", "qrs-b", "qrs-c", "qrs-d", "qrs-e")
			b64, err := r.svc.AddBundle(ctx, r.bundleFile(t, "v1.4.0", "arm64", fleetKey))
			if err != nil {
				t.Fatal(err)
			}
			b7, err := r.svc.AddBundle(ctx, r.bundleFile(t, "v1.4.0", "armv7", fleetKey))
			if err != nil {
				t.Fatal(err)
			}
			for id, arch := range map[string]string{"qrs-a": "arm64", "qrs-b": "armv7", "qrs-c": "arm64", "qrs-e": "arm64"} {
				if err := r.svc.Observe(ctx, id, report("v1.3.0", arch, mqtt.UpdateIdle, "", "", "")); err != nil {
					t.Fatal(err)
				}
			}
			ro, err := r.svc.StartRollout(ctx, Spec{Version: "v1.4.0", Stands: []string{"qrs-c", "qrs-a", "qrs-b", "qrs-d"}, MaxFailures: 1})
			if err != nil {
				t.Fatal(err)
			}
			if err := r.svc.Tick(ctx); err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, s := range r.takeSent() {
				got[s.stand] = s.cmd.Update.SHA256
				if s.cmd.Update.Rollout != ro.ID || s.cmd.Update.URL != "https://cloud.example.com/firmware/"+s.cmd.Update.SHA256 {
					t.Errorf("command %+v", s.cmd.Update)
				}
			}
			want := map[string]string{"qrs-a": b64.SHA256, "qrs-b": b7.SHA256, "qrs-c": b64.SHA256}
			if len(got) != len(want) || got["qrs-a"] != want["qrs-a"] || got["qrs-b"] != want["qrs-b"] || got["qrs-c"] != want["qrs-c"] {
				t.Fatalf("sent %v, want %v (qrs-d never reported; qrs-e is not in the wave)", got, want)
			}
			// Sent once: a second tick does not repeat it.
			if err := r.svc.Tick(ctx); err != nil {
				t.Fatal(err)
			}
			if s := r.takeSent(); len(s) != 0 {
				t.Fatalf("resent at once: %v", s)
			}
			// qrs-a updates; qrs-b rolls back: the wave pauses.
			_ = r.svc.Observe(ctx, "qrs-a", report("v1.4.0", "arm64", mqtt.UpdateInstalled, "v1.4.0", ro.ID, ""))
			_ = r.svc.Observe(ctx, "qrs-b", report("v1.3.0", "armv7", mqtt.UpdateRolledBack, "v1.4.0", ro.ID, "no MQTT connection within 2m0s"))
			r.clock = r.clock.Add(time.Hour) // past ResendAfter: qrs-c would be sent again if the wave went on
			if err := r.svc.Tick(ctx); err != nil {
				t.Fatal(err)
			}
			if s := r.takeSent(); len(s) != 0 {
				t.Fatalf("a paused wave sent %v", s)
			}
			st, err := r.svc.Status(ctx)
			if err != nil {
				t.Fatal(err)
			}
			w := st.Rollouts[0]
			if w.State != RolloutPaused || !strings.Contains(w.Reason, "qrs-b rolled_back") || w.Updated != 1 || w.Failed != 1 || w.Target != 4 || w.NoReport != 1 {
				t.Errorf("rollout %+v", w)
			}
			if st.Versions["v1.4.0"] != 1 || st.Versions["v1.3.0"] != 3 || st.Versions[""] != 1 {
				t.Errorf("versions %v", st.Versions)
			}
			// An operator resumes it: qrs-c is sent again; the failed
			// stand is not.
			if err := r.svc.SetState(ctx, ro.ID, RolloutActive, ""); err != nil {
				t.Fatal(err)
			}
			if err := r.svc.SetState(ctx, ro.ID, RolloutActive, ""); err != nil {
				t.Fatal(err)
			}
			ro2, _ := r.svc.StartRollout(ctx, Spec{Version: "v1.4.0", Stands: []string{"qrs-c"}, MaxFailures: 5})
			_ = r.svc.SetState(ctx, ro.ID, RolloutPaused, "operator")
			if err := r.svc.Tick(ctx); err != nil {
				t.Fatal(err)
			}
			s := r.takeSent()
			if len(s) != 1 || s[0].stand != "qrs-c" || s[0].cmd.Update.Rollout != ro2.ID {
				t.Fatalf("resumed wave sent %v", s)
			}
			_ = r.svc.Observe(ctx, "qrs-c", report("v1.4.0", "arm64", mqtt.UpdateInstalled, "v1.4.0", ro2.ID, ""))
			if err := r.svc.Tick(ctx); err != nil {
				t.Fatal(err)
			}
			st, _ = r.svc.Status(ctx)
			if st.Rollouts[1].State != RolloutDone {
				t.Errorf("a wave whose stands all updated: %+v", st.Rollouts[1])
			}
		})
	}
}

func TestPercentWave(t *testing.T) {
	r := newRig(t, database.SQLite)
	ctx := context.Background()
	var ids []string
	for i := range 200 {
		id := "qrs-p" + string(rune('a'+i/26)) + string(rune('a'+i%26))
		ids = append(ids, id)
	}
	r.register(t, ids...)
	if _, err := r.svc.AddBundle(ctx, r.bundleFile(t, "v1.4.0", "arm64", fleetKey)); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		_ = r.svc.Observe(ctx, id, report("v1.3.0", "arm64", mqtt.UpdateIdle, "", "", ""))
	}
	if _, err := r.svc.StartRollout(ctx, Spec{Version: "v1.4.0", Percent: 10, MaxFailures: 3}); err != nil {
		t.Fatal(err)
	}
	_ = r.svc.Tick(ctx)
	first := r.takeSent()
	if len(first) < 5 || len(first) > 40 {
		t.Fatalf("a 10%% wave of 200 sent %d", len(first))
	}
	// A 50% wave of the same version includes the 10% one.
	if _, err := r.svc.StartRollout(ctx, Spec{Version: "v1.4.0", Percent: 50, MaxFailures: 3}); err != nil {
		t.Fatal(err)
	}
	for _, s := range first {
		if !inWave("v1.4.0", s.stand, 50) {
			t.Errorf("%s in the 10%% wave but not in the 50%% one", s.stand)
		}
	}
	for _, bad := range []Spec{{Version: "v1.4.0"}, {Version: "v1.4.0", Percent: 101}, {Version: "v9.0.0", Percent: 5}, {Version: "v1.4.0", Percent: 5, Stands: []string{"qrs-paa"}}, {Version: "x", Percent: 5}} {
		if _, err := r.svc.StartRollout(ctx, bad); err == nil {
			t.Errorf("StartRollout(%+v) accepted", bad)
		}
	}
}

// A stand in the wave that was never sent the update cannot pause the wave
// by reporting that the update failed there.
func TestForgedFailureDoesNotPause(t *testing.T) {
	for _, d := range dbtest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			r := newRig(t, d)
			ctx := context.Background()
			r.register(t, "qrs-a", "qrs-d")
			if _, err := r.svc.AddBundle(ctx, r.bundleFile(t, "v1.4.0", "arm64", fleetKey)); err != nil {
				t.Fatal(err)
			}
			if err := r.svc.Observe(ctx, "qrs-a", report("v1.3.0", "arm64", mqtt.UpdateIdle, "", "", "")); err != nil {
				t.Fatal(err)
			}
			ro, err := r.svc.StartRollout(ctx, Spec{Version: "v1.4.0", Stands: []string{"qrs-a", "qrs-d"}, MaxFailures: 1})
			if err != nil {
				t.Fatal(err)
			}
			if err := r.svc.Tick(ctx); err != nil {
				t.Fatal(err)
			}
			r.takeSent() // qrs-a only: qrs-d had not reported
			if err := r.svc.Observe(ctx, "qrs-d", report("v1.3.0", "arm64", mqtt.UpdateRolledBack, "v1.4.0", ro.ID, "forged")); err != nil {
				t.Fatal(err)
			}
			r.clock = r.clock.Add(time.Minute) // the next tick sends qrs-d the update after its forged report
			if err := r.svc.Tick(ctx); err != nil {
				t.Fatal(err)
			}
			st, err := r.svc.Status(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if w := st.Rollouts[0]; w.State != RolloutActive || w.Failed != 0 {
				t.Errorf("a forged failure counted: %+v", w)
			}
		})
	}
}

func TestClipKeepsRunes(t *testing.T) {
	for _, c := range []struct {
		s    string
		n    int
		want string
	}{
		{"abc", 5, "abc"},
		{"abc", 3, "abc"},
		{"abcdef", 3, "abc"},
		{"ab失败", 3, "ab"},  // 失 is 3 bytes: cut before it, not inside
		{"ab失败", 4, "ab"},  // still inside 失
		{"ab失败", 5, "ab失"}, // 失 whole
		{"失败", 2, ""},      // nothing whole fits
		{"a😀", 4, "a"},     // a 4-byte rune cut at its last byte
		{"a😀", 5, "a😀"},    // whole
		{"\x80\x80\x80\x80\x80\x80", 5, "\x80\x80\x80\x80\x80"}, // not UTF-8: a byte cut
	} {
		if got := clip(c.s, c.n); got != c.want {
			t.Errorf("clip(%q, %d) = %q, want %q", c.s, c.n, got, c.want)
		}
	}
}

// A stand's long Chinese error text is kept whole to the last rune that
// fits (PostgreSQL refuses half a rune; SQLite would keep invalid text).
func TestObserveClipsErrorOnRune(t *testing.T) {
	for _, d := range dbtest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			r := newRig(t, d)
			ctx := context.Background()
			r.register(t, "qrs-a")
			long := "x" + strings.Repeat("校验失败", 60) // 1 + 720 bytes: byte 500 falls inside a rune
			if err := r.svc.Observe(ctx, "qrs-a", report("v1.3.0", "arm64", mqtt.UpdateFailed, "v1.4.0", "", long)); err != nil {
				t.Fatal(err)
			}
			st, err := r.svc.Status(ctx)
			if err != nil {
				t.Fatal(err)
			}
			got := st.Stands[0].Error
			if !utf8.ValidString(got) || len(got) > 500 || len(got) < 497 || !strings.HasPrefix(long, got) {
				t.Errorf("stored error: %d bytes, valid UTF-8 %v, a prefix %v", len(got), utf8.ValidString(got), strings.HasPrefix(long, got))
			}
		})
	}
}
