package speech

// DefaultPackDir is where the Debian package qrstand-voice-espeak installs
// the default espeak-ng pack. The pack is not embedded in the binary: its
// clips are GPL-3.0-or-later (see packs/default/README.md) and the daemon is
// Apache-2.0, so the two ship as separate files with separate licences, and
// a recorded human pack installed elsewhere replaces it through
// Config.Pack. The pack's source lives in packs/default in this repository.
const DefaultPackDir = "/usr/share/qrstand/voices/default"

// SourcePackDir is the default pack's folder relative to the repository
// root, for the simulator run from a checkout and for tests.
const SourcePackDir = "firmware/internal/speech/packs/default"
