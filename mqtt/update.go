package mqtt

import (
	"encoding/hex"
	"strings"
)

// MaxBundleSize bounds a firmware bundle a stand will download.
const MaxBundleSize = 256 << 20

// FirmwareUpdate is the body of a stand.command "update": a signed firmware
// bundle the stand downloads, verifies and installs. The bundle's own signed
// manifest is what the stand trusts; these fields only locate the file and
// let a stand check the download before it opens it.
type FirmwareUpdate struct {
	Version string `json:"version"` // the bundle's version, e.g. "v1.4.0"
	URL     string `json:"url"`     // where to GET it (https; Range requests resume a download)
	SHA256  string `json:"sha256"`  // of the whole bundle file, lower-case hex
	Size    int64  `json:"size"`    // of the whole bundle file, in bytes
	Rollout string `json:"rollout,omitempty"`
}

// Validate checks an update announcement's fields.
func (u *FirmwareUpdate) Validate() error {
	switch {
	case u.Version == "" || len(u.Version) > 64 || strings.ContainsAny(u.Version, "/\\ \x00"):
		return invalid(KindStandCommand, "update: version must be 1..64 characters without /, \\ or spaces")
	case !validHTTPURL(u.URL):
		return invalid(KindStandCommand, "update: url must be an http(s) URL")
	case !validSHA256(u.SHA256):
		return invalid(KindStandCommand, "update: sha256 must be 64 lower-case hex digits")
	case u.Size <= 0 || u.Size > MaxBundleSize:
		return invalid(KindStandCommand, "update: size must be 1..%d", MaxBundleSize)
	case len(u.Rollout) > 64:
		return invalid(KindStandCommand, "update: rollout id too long")
	}
	return nil
}

func validSHA256(s string) bool {
	if len(s) != 64 || strings.ToLower(s) != s {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// Update states a stand reports in update.state.
const (
	UpdateIdle        = "idle"        // running what it should; nothing under way
	UpdateDownloading = "downloading" // fetching Target
	UpdateTrial       = "trial"       // Target is running, its health check not yet passed
	UpdateInstalled   = "installed"   // Target passed its health check and is kept
	UpdateRolledBack  = "rolled_back" // Target failed its health check; the previous version runs again
	UpdateRejected    = "rejected"    // Target's bundle failed verification (signature, model, downgrade, checksum)
	UpdateFailed      = "failed"      // Target could not be fetched or installed; may be retried
)

// UpdateState is a stand's firmware report, sent after every connect and on
// every change of an update. The cloud keeps it per stand: the versions in
// its fleet and the outcome of each rollout wave.
type UpdateState struct {
	Running string `json:"running"`          // version running now
	Model   string `json:"model"`            // device model bundles must name, e.g. "qrstand-pi"
	Arch    string `json:"arch"`             // e.g. "arm64", "armv7", "armv6"
	State   string `json:"state"`            // one of the Update* constants
	Target  string `json:"target,omitempty"` // the version being installed, or last tried
	Rollout string `json:"rollout,omitempty"`
	Error   string `json:"error,omitempty"` // why it was rejected, failed or rolled back
}

func (*UpdateState) Kind() Kind { return KindUpdateState }

func (u *UpdateState) Validate() error {
	if u.Running == "" || u.Model == "" || u.Arch == "" {
		return invalid(KindUpdateState, "running, model and arch are required")
	}
	switch u.State {
	case UpdateIdle, UpdateDownloading, UpdateTrial, UpdateInstalled, UpdateRolledBack, UpdateRejected, UpdateFailed:
	default:
		return invalid(KindUpdateState, "unknown state %q", truncate(u.State))
	}
	if u.State != UpdateIdle && u.Target == "" {
		return invalid(KindUpdateState, "state %s needs a target", u.State)
	}
	return nil
}
