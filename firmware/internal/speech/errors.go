package speech

import "errors"

// Sentinel errors callers may branch on with errors.Is.
var (
	// ErrNegative: an amount or count below zero.
	ErrNegative = errors.New("speech: negative amount")
	// ErrOverflow: an amount or count too large to read.
	ErrOverflow = errors.New("speech: amount too large")
	// ErrUnknownText: text that does not split into known tokens.
	ErrUnknownText = errors.New("speech: text has no clip")
	// ErrBadWAV: a clip that is not a readable PCM WAV file.
	ErrBadWAV = errors.New("speech: bad wav")
	// ErrMissingClip: a voice pack without a clip it needs.
	ErrMissingClip = errors.New("speech: missing clip")
	// ErrFormatMismatch: a clip whose format differs from the pack's.
	ErrFormatMismatch = errors.New("speech: clip format differs from pack format")
	// ErrBadManifest: a voice pack manifest that is missing or invalid.
	ErrBadManifest = errors.New("speech: bad pack manifest")
	// ErrQuietHours: an announcement not spoken because of quiet hours.
	ErrQuietHours = errors.New("speech: quiet hours")
)
