package firmware

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/oklog/ulid/v2"

	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/bundle"
)

// Rollout states.
const (
	RolloutActive = "active"
	RolloutPaused = "paused" // by failures or by an operator; Resume continues
	RolloutDone   = "done"   // every stand of the wave runs the version
)

// Rollout is one wave of a version.
type Rollout struct {
	ID          string   `json:"id"`
	Version     string   `json:"version"`
	Percent     int      `json:"percent,omitempty"` // of the fleet, when Stands is empty
	Stands      []string `json:"stands,omitempty"`  // explicit wave
	MaxFailures int      `json:"max_failures"`
	State       string   `json:"state"`
	Reason      string   `json:"reason,omitempty"` // why it paused
	// Counts over the wave's stands that reported, filled by Status.
	Target    int `json:"target"`
	Updated   int `json:"updated"`
	Failed    int `json:"failed"`
	NoReport  int `json:"no_report,omitempty"`
	NoBundle  int `json:"no_bundle,omitempty"`
	InFlight  int `json:"in_flight"`
	createdAt string
}

// Spec is what an operator asks for.
type Spec struct {
	Version     string
	Percent     int      // 1..100, or 0 with Stands
	Stands      []string // explicit stand ids
	MaxFailures int      // pause at this many failed stands; default 1
}

// StartRollout opens a wave. The version must have at least one bundle.
func (s *Service) StartRollout(ctx context.Context, sp Spec) (Rollout, error) {
	if _, ok := bundle.ParseVersion(sp.Version); !ok {
		return Rollout{}, fmt.Errorf("firmware: version %q is not vMAJOR.MINOR.PATCH", sp.Version)
	}
	stands := sortedUnique(sp.Stands)
	switch {
	case len(stands) == 0 && (sp.Percent < 1 || sp.Percent > 100):
		return Rollout{}, errors.New("firmware: a wave is a percentage (1..100) or a list of stands")
	case len(stands) > 0 && sp.Percent != 0:
		return Rollout{}, errors.New("firmware: give a percentage or a list of stands, not both")
	case sp.MaxFailures < 0:
		return Rollout{}, errors.New("firmware: max failures must be >= 0")
	}
	for _, id := range stands {
		if !mqtt.ValidDeviceID(id) {
			return Rollout{}, fmt.Errorf("firmware: %q is not a stand id", id)
		}
	}
	if sp.MaxFailures == 0 {
		sp.MaxFailures = 1
	}
	var n int
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM firmware_bundles WHERE version = ?`), sp.Version).Scan(&n); err != nil {
		return Rollout{}, err
	}
	if n == 0 {
		return Rollout{}, fmt.Errorf("%w: no bundle for %s (qrstand-cloud firmware add)", ErrNotFound, sp.Version)
	}
	now := s.cfg.Now()
	r := Rollout{ID: "ro_" + ulid.Make().String(), Version: sp.Version, Percent: sp.Percent, Stands: stands, MaxFailures: sp.MaxFailures, State: RolloutActive}
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO firmware_rollouts (id, version, percent, stands, max_failures, state, reason, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, '', ?, ?)`),
		r.ID, r.Version, r.Percent, strings.Join(stands, ","), r.MaxFailures, r.State, ts(now), ts(now))
	if err != nil {
		return Rollout{}, fmt.Errorf("firmware: start rollout: %w", err)
	}
	return r, nil
}

// SetState pauses (with a reason) or resumes a rollout.
func (s *Service) SetState(ctx context.Context, id, state, reason string) error {
	if state != RolloutActive && state != RolloutPaused {
		return fmt.Errorf("firmware: cannot set a rollout %q", state)
	}
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE firmware_rollouts SET state = ?, reason = ?, updated_at = ? WHERE id = ? AND state <> ?`),
		state, reason, ts(s.cfg.Now()), id, RolloutDone)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: rollout %s (or it is done)", ErrNotFound, id)
	}
	return nil
}

func (s *Service) rollouts(ctx context.Context, where string, args ...any) ([]Rollout, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, version, percent, stands, max_failures, state, reason, created_at FROM firmware_rollouts `+where+` ORDER BY created_at, id`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Rollout
	for rows.Next() {
		var r Rollout
		var stands string
		if err := rows.Scan(&r.ID, &r.Version, &r.Percent, &stands, &r.MaxFailures, &r.State, &r.Reason, &r.createdAt); err != nil {
			return nil, err
		}
		r.Stands = sortedUnique(strings.Split(stands, ","))
		out = append(out, r)
	}
	return out, rows.Err()
}

// StandFirmware is one stand's last update.state, and what was sent to it.
type StandFirmware struct {
	StandID     string `json:"stand_id"`
	Running     string `json:"running"`
	Model       string `json:"model"`
	Arch        string `json:"arch"`
	State       string `json:"state"`
	Target      string `json:"target,omitempty"`
	Rollout     string `json:"rollout,omitempty"`
	Error       string `json:"error,omitempty"`
	ReportedAt  string `json:"reported_at"`
	SentVersion string `json:"sent_version,omitempty"`
	sentAt      string
}

// Observe records a stand's update.state.
func (s *Service) Observe(ctx context.Context, standID string, u *mqtt.UpdateState) error {
	if err := u.Validate(); err != nil {
		return err
	}
	now := ts(s.cfg.Now())
	// An upsert both engines speak (SQLite ≥ 3.24, PostgreSQL ≥ 9.5).
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO firmware_stands (stand_id, running, model, arch, state, target, rollout, error, reported_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (stand_id) DO UPDATE SET running = excluded.running, model = excluded.model, arch = excluded.arch,
	state = excluded.state, target = excluded.target, rollout = excluded.rollout, error = excluded.error, reported_at = excluded.reported_at`),
		standID, u.Running, u.Model, u.Arch, u.State, u.Target, u.Rollout, clip(u.Error, 500), now)
	return err
}

// clip cuts s to at most n bytes without splitting a UTF-8 sequence: a
// stand's error text is often Chinese, and half a rune is invalid text
// (PostgreSQL refuses it).
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for i := n; i >= 0 && i > n-utf8.UTFMax; i-- {
		if utf8.RuneStart(s[i]) {
			return s[:i]
		}
	}
	return s[:n] // not UTF-8 here (JSON decoding never yields this): a byte cut is all there is
}

// stands returns every registered stand with its firmware report (Running
// empty when it has not reported).
func (s *Service) stands(ctx context.Context) ([]StandFirmware, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT s.id, COALESCE(f.running, ''), COALESCE(f.model, ''), COALESCE(f.arch, ''), COALESCE(f.state, ''),
	COALESCE(f.target, ''), COALESCE(f.rollout, ''), COALESCE(f.error, ''), COALESCE(f.reported_at, ''), COALESCE(f.sent_version, ''), COALESCE(f.sent_at, '')
FROM stands s LEFT JOIN firmware_stands f ON f.stand_id = s.id ORDER BY s.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []StandFirmware
	for rows.Next() {
		var f StandFirmware
		if err := rows.Scan(&f.StandID, &f.Running, &f.Model, &f.Arch, &f.State, &f.Target, &f.Rollout, &f.Error, &f.ReportedAt, &f.SentVersion, &f.sentAt); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

func (r Rollout) includes(standID string) bool {
	if len(r.Stands) > 0 {
		for _, id := range r.Stands {
			if id == standID {
				return true
			}
		}
		return false
	}
	return inWave(r.Version, standID, r.Percent)
}

// failedFor: the stand's report says this version failed there, made after
// the cloud sent it that version — a stand cannot pause a wave with a
// failure of an update it was never offered.
func failedFor(f StandFirmware, version string) bool {
	if f.Target != version || f.SentVersion != version || parseTS(f.ReportedAt).Before(parseTS(f.sentAt)) {
		return false
	}
	switch f.State {
	case mqtt.UpdateRolledBack, mqtt.UpdateRejected, mqtt.UpdateFailed:
		return true
	}
	return false
}

// tally fills r's counts from the stands' reports.
func tally(r *Rollout, stands []StandFirmware) (failures []string) {
	r.Target, r.Updated, r.Failed, r.NoReport, r.InFlight = 0, 0, 0, 0, 0
	for _, f := range stands {
		if !r.includes(f.StandID) {
			continue
		}
		r.Target++
		switch {
		case f.Running == "":
			r.NoReport++
		case f.Running == r.Version:
			r.Updated++
		case failedFor(f, r.Version):
			r.Failed++
			failures = append(failures, fmt.Sprintf("%s %s: %s", f.StandID, f.State, f.Error))
		case f.Target == r.Version && (f.State == mqtt.UpdateDownloading || f.State == mqtt.UpdateTrial):
			r.InFlight++
		}
	}
	return failures
}

// Tick moves every active rollout on: pause on failures, send the update
// to stands of the wave that need it, mark a finished wave done. It is
// safe to call often (the rollout loop calls it every minute and after
// each update.state).
func (s *Service) Tick(ctx context.Context) error {
	if s.cfg.Send == nil || s.cfg.BaseURL == "" {
		return errors.New("firmware: Tick needs Send and BaseURL")
	}
	active, err := s.rollouts(ctx, `WHERE state = ?`, RolloutActive)
	if err != nil || len(active) == 0 {
		return err
	}
	stands, err := s.stands(ctx)
	if err != nil {
		return err
	}
	now := s.cfg.Now()
	for i := range active {
		r := &active[i]
		failures := tally(r, stands)
		if r.Failed >= r.MaxFailures {
			reason := fmt.Sprintf("%d of %d stands failed (limit %d): %s", r.Failed, r.Target, r.MaxFailures, strings.Join(failures, "; "))
			s.cfg.Log.Warn("firmware: rollout paused", "rollout", r.ID, "version", r.Version, "failed", r.Failed)
			if err := s.SetState(ctx, r.ID, RolloutPaused, clip(reason, 1000)); err != nil {
				return err
			}
			continue
		}
		if r.Target > 0 && r.Updated == r.Target {
			if _, err := s.db.ExecContext(ctx, s.q(`UPDATE firmware_rollouts SET state = ?, updated_at = ? WHERE id = ?`), RolloutDone, ts(now), r.ID); err != nil {
				return err
			}
			continue
		}
		for _, f := range stands {
			if !r.includes(f.StandID) || f.Running == "" || f.Running == r.Version || failedFor(f, r.Version) {
				continue
			}
			if f.Target == r.Version && (f.State == mqtt.UpdateDownloading || f.State == mqtt.UpdateTrial) {
				continue
			}
			if c, ok := bundle.Compare(r.Version, f.Running); ok && c <= 0 {
				continue // it already runs something newer
			}
			if f.SentVersion == r.Version && now.Sub(parseTS(f.sentAt)) < s.cfg.ResendAfter {
				continue
			}
			b, err := s.bundleFor(ctx, r.Version, f.Model, f.Arch)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			cmd := &mqtt.StandCommand{Command: mqtt.CommandUpdate, By: "rollout " + r.ID, Update: &mqtt.FirmwareUpdate{
				Version: r.Version, URL: strings.TrimRight(s.cfg.BaseURL, "/") + "/firmware/" + b.SHA256,
				SHA256: b.SHA256, Size: b.Size, Rollout: r.ID,
			}}
			if err := s.cfg.Send(ctx, f.StandID, cmd); err != nil {
				s.cfg.Log.Warn("firmware: send update", "stand", f.StandID, "err", err)
				continue
			}
			if _, err := s.db.ExecContext(ctx, s.q(`UPDATE firmware_stands SET sent_version = ?, sent_at = ? WHERE stand_id = ?`), r.Version, ts(now), f.StandID); err != nil {
				return err
			}
		}
	}
	return nil
}

// Status is the fleet's firmware: rollouts with their counts, and every
// stand's version and update state.
type Status struct {
	Rollouts []Rollout       `json:"rollouts"`
	Bundles  []Bundle        `json:"bundles"`
	Stands   []StandFirmware `json:"stands"`
	Versions map[string]int  `json:"versions"` // running version → stands ("" = not reported)
}

// Status reports the fleet.
func (s *Service) Status(ctx context.Context) (Status, error) {
	var st Status
	var err error
	if st.Stands, err = s.stands(ctx); err != nil {
		return st, err
	}
	if st.Bundles, err = s.Bundles(ctx); err != nil {
		return st, err
	}
	if st.Rollouts, err = s.rollouts(ctx, ""); err != nil {
		return st, err
	}
	for i := range st.Rollouts {
		tally(&st.Rollouts[i], st.Stands)
		for _, f := range st.Stands {
			if st.Rollouts[i].includes(f.StandID) && f.Running != "" && f.Running != st.Rollouts[i].Version {
				if _, err := s.bundleFor(ctx, st.Rollouts[i].Version, f.Model, f.Arch); errors.Is(err, ErrNotFound) {
					st.Rollouts[i].NoBundle++
				}
			}
		}
	}
	st.Versions = map[string]int{}
	for _, f := range st.Stands {
		st.Versions[f.Running]++
	}
	return st, nil
}
