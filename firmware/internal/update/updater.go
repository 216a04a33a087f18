package update

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/bundle"
)

// Errors of a refused bundle; each is reported as "rejected".
var (
	ErrSignature   = bundle.ErrSignature
	ErrWrongDevice = errors.New("update: bundle is for another device model or architecture")
	ErrDowngrade   = errors.New("update: bundle is not newer than the running version")
	ErrRolledBack  = errors.New("update: this version was rolled back before")
	ErrChecksum    = errors.New("update: download does not match the announced sha256")
	ErrTruncated   = errors.New("update: download ended before the announced size")
	ErrInsecure    = errors.New("update: bundle URL is not https")
)

// ErrRestart is returned by Updater.Run after a new version was installed:
// the daemon stops gracefully and exits, and the service manager starts it
// again (Launch then runs the new version on trial).
var ErrRestart = errors.New("update: new version installed; restart to run it")

// Config configures an Updater. Zero values are the documented defaults.
type Config struct {
	Dir     string              // required: e.g. /var/lib/qrstand/firmware
	Keys    []ed25519.PublicKey // trusted signing keys; none: every bundle is refused
	Version string              // the running version; required
	// Model is the device model bundles must name. Default "qrstand-pi".
	Model string
	// Arch is this build's architecture as bundles name it. Default Arch().
	Arch string
	// HealthDeadline bounds a new version's health check. Default 2 min.
	HealthDeadline time.Duration
	// HTTP downloads bundles. Default: a client with a 10 min timeout.
	HTTP *http.Client
	// AllowHTTP accepts http:// URLs (tests, the simulator); off on a stand.
	AllowHTTP bool
	// Report sends an update.state; nil: none.
	Report func(ctx context.Context, s *mqtt.UpdateState)
	Log    *slog.Logger
	Now    func() time.Time
}

// DefaultModel is the device model of a Raspberry Pi stand.
const DefaultModel = "qrstand-pi"

// Arch names this build's architecture as bundles do: GOARCH, with the ARM
// level for 32-bit ARM ("armv6", "armv7").
func Arch() string {
	if runtime.GOARCH == "arm" {
		return "armv" + goarm()
	}
	return runtime.GOARCH
}

func (c *Config) setDefaults() {
	if c.Model == "" {
		c.Model = DefaultModel
	}
	if c.Arch == "" {
		c.Arch = Arch()
	}
	if c.HealthDeadline == 0 {
		c.HealthDeadline = 2 * time.Minute
	}
	if c.HTTP == nil {
		c.HTTP = &http.Client{Timeout: 10 * time.Minute}
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Updater installs updates for one running daemon. Announce queues an
// update; Run works the queue; Trial, Commit and RollBack settle a new
// version.
type Updater struct {
	cfg  Config
	work chan *mqtt.FirmwareUpdate

	mu    sync.Mutex // guards state and phase, and serialises state.json
	state State
	phase *mqtt.UpdateState // an update under way in this run, nil otherwise
}

// New opens dir (creating it) and reads its state.
func New(cfg Config) (*Updater, error) {
	cfg.setDefaults()
	if cfg.Dir == "" || cfg.Version == "" {
		return nil, errors.New("update: Dir and Version are required")
	}
	for _, d := range []string{cfg.Dir, filepath.Join(cfg.Dir, slotsDir), filepath.Join(cfg.Dir, downloadDir)} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("update: %w", err)
		}
	}
	st, err := loadState(cfg.Dir)
	if err != nil {
		return nil, err
	}
	return &Updater{cfg: cfg, work: make(chan *mqtt.FirmwareUpdate, 1), state: st}, nil
}

// Announce queues an update from a stand.command; it never blocks (a newer
// announcement replaces one not yet started). The command was journaled
// and acked before; the outcome goes to the cloud in update.state.
func (u *Updater) Announce(f *mqtt.FirmwareUpdate) {
	for {
		select {
		case u.work <- f:
			return
		default:
			select {
			case <-u.work:
			default:
			}
		}
	}
}

// Run installs announced updates until ctx ends (nil) or one is installed
// (ErrRestart).
func (u *Updater) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case f := <-u.work:
			err := u.Apply(ctx, f)
			if errors.Is(err, ErrRestart) {
				return err
			}
			if err != nil && ctx.Err() == nil {
				u.cfg.Log.Warn("update: not installed", "version", f.Version, "err", err)
			}
		}
	}
}

// Report is the update.state for now: the phase under way, the trial, or
// the last outcome.
func (u *Updater) Report() *mqtt.UpdateState {
	u.mu.Lock()
	defer u.mu.Unlock()
	r := &mqtt.UpdateState{Running: u.cfg.Version, Model: u.cfg.Model, Arch: u.cfg.Arch, State: mqtt.UpdateIdle}
	switch {
	case u.phase != nil:
		p := *u.phase
		p.Running, p.Model, p.Arch = r.Running, r.Model, r.Arch
		return &p
	case u.state.Pending != nil && u.state.Pending.Version == u.cfg.Version:
		r.State, r.Target, r.Rollout = mqtt.UpdateTrial, u.state.Pending.Version, u.state.Pending.Rollout
	case u.state.Last.State != "" && u.state.Last.Target != "":
		r.State, r.Target, r.Rollout, r.Error = u.state.Last.State, u.state.Last.Target, u.state.Last.Rollout, u.state.Last.Error
	}
	return r
}

func (u *Updater) report(ctx context.Context) {
	if u.cfg.Report != nil {
		u.cfg.Report(ctx, u.Report())
	}
}

// setPhase records an update under way (nil: none) and reports it.
func (u *Updater) setPhase(ctx context.Context, p *mqtt.UpdateState) {
	u.mu.Lock()
	u.phase = p
	u.mu.Unlock()
	u.report(ctx)
}

// finish records an update's outcome in state.json and reports it.
func (u *Updater) finish(ctx context.Context, f *mqtt.FirmwareUpdate, state string, err error) {
	o := Outcome{Target: f.Version, State: state, Rollout: f.Rollout}
	if err != nil {
		o.Error = err.Error()
	}
	u.mu.Lock()
	u.phase = nil
	u.state.Last = o
	serr := saveState(u.cfg.Dir, u.state)
	u.mu.Unlock()
	if serr != nil {
		u.cfg.Log.Error("update: save state", "err", serr)
	}
	u.report(ctx)
}

// Apply downloads, verifies and installs one update. It returns ErrRestart
// when the new version is installed and the daemon should restart into it;
// any other error was reported as rejected or failed.
func (u *Updater) Apply(ctx context.Context, f *mqtt.FirmwareUpdate) error {
	if err := f.Validate(); err != nil {
		u.finish(ctx, f, mqtt.UpdateRejected, err)
		return err
	}
	if err := u.precheck(f); err != nil {
		u.finish(ctx, f, mqtt.UpdateRejected, err)
		return err
	}
	u.setPhase(ctx, &mqtt.UpdateState{State: mqtt.UpdateDownloading, Target: f.Version, Rollout: f.Rollout})
	path, err := u.download(ctx, f)
	if err != nil {
		state := mqtt.UpdateFailed
		if errors.Is(err, ErrChecksum) || errors.Is(err, ErrInsecure) {
			state = mqtt.UpdateRejected
		}
		if ctx.Err() != nil {
			// Stopping: keep the .part for the next run, report nothing.
			u.mu.Lock()
			u.phase = nil
			u.mu.Unlock()
			return err
		}
		u.finish(ctx, f, state, err)
		return err
	}
	if err := u.install(f, path); err != nil {
		state := mqtt.UpdateFailed
		if isRejection(err) {
			state = mqtt.UpdateRejected
		}
		u.finish(ctx, f, state, err)
		return err
	}
	u.cfg.Log.Info("update: installed; restarting into it", "version", f.Version)
	u.mu.Lock()
	u.phase = nil
	u.mu.Unlock()
	return ErrRestart
}

func isRejection(err error) bool {
	for _, e := range []error{bundle.ErrSignature, bundle.ErrFormat, bundle.ErrPayload, ErrWrongDevice, ErrDowngrade, ErrRolledBack} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// precheck refuses what the announcement alone shows to be wrong, before
// a byte is downloaded. The signed manifest is checked again after.
func (u *Updater) precheck(f *mqtt.FirmwareUpdate) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.state.isBad(f.Version) {
		return fmt.Errorf("%w: %s", ErrRolledBack, f.Version)
	}
	if u.state.Pending != nil {
		return fmt.Errorf("update: %s is still on trial", u.state.Pending.Version)
	}
	if c, ok := bundle.Compare(f.Version, u.cfg.Version); ok && c <= 0 {
		return fmt.Errorf("%w: %s is not newer than %s", ErrDowngrade, f.Version, u.cfg.Version)
	}
	return nil
}
