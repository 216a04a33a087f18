// Package update installs signed firmware bundles on a stand and rolls a
// bad one back.
//
// A stand.command "update" names a bundle (package mqtt/bundle) by URL,
// sha256 and size. The Updater downloads it over HTTPS into
// DIR/download/<sha256>.part, resuming with a Range request after a cut,
// checks size and sha256, then verifies the bundle's ed25519 signature with
// the stand's trusted keys and its manifest against this stand (device
// model, architecture, a version newer than the running one, not one rolled
// back before). Only then is the payload written, into a new slot:
//
//	DIR/slots/<version>/qrstand   one folder per installed version
//	DIR/current -> slots/<v>      the version to run; absent: the packaged binary
//	DIR/state.json                the pending trial and the last outcome
//
// The switch is a symlink replaced by rename(2): a power cut leaves either
// the old or the new link. The daemon then exits and systemd starts the
// packaged /usr/bin/qrstand again, whose Launch sees the pending trial,
// counts the attempt and execs the new slot. The new version must pass its
// health check — connected to the broker with its journal open — within
// Config.HealthDeadline; it then commits (Commit). If it does not (the
// deadline passes, it exits with an error, or it crashes and is started
// again while still on trial) the link goes back to the previous version
// and the outcome "rolled_back" is reported to the cloud in update.state,
// which pauses the rollout wave.
package update
