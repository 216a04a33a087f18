package journal

import "errors"

var (
	// ErrNotFound: no event with that id (or none at all).
	ErrNotFound = errors.New("journal: not found")
	// ErrState: the event is not in the state the transition needs.
	ErrState = errors.New("journal: wrong state")
)
