package mqtt

import (
	"crypto/rand"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
)

// Message ids are ULIDs (https://github.com/ulid/spec): 48 bits of
// millisecond time and 80 random bits in Crockford base32, 26 characters.
// They sort by creation time, which makes logs and journals easy to read.
// oklog/ulid makes them; within one millisecond its monotonic entropy
// increments the random part, so ids from one process strictly increase.
var ids = struct {
	sync.Mutex
	lastMS  uint64
	entropy *ulid.MonotonicEntropy
}{entropy: ulid.Monotonic(rand.Reader, 0)}

// NewID returns a new ULID for time t. It is the one id generator of QR
// Stand: the cloud's record ids and trade numbers come from it too.
func NewID(t time.Time) string {
	ms := uint64(0)
	if t.UnixMilli() > 0 {
		ms = min(ulid.Timestamp(t), ulid.MaxTime())
	}
	ids.Lock()
	defer ids.Unlock()
	// A clock stepped back stays in the last millisecond, so the ids keep
	// increasing.
	ms = max(ms, ids.lastMS)
	for {
		id, err := ulid.New(ms, ids.entropy)
		if err == nil {
			ids.lastMS = ms
			return id.String()
		}
		// crypto/rand cannot fail, so the error is ErrMonotonicOverflow:
		// this millisecond's random part is used up. Take the next one.
		ms++
	}
}

// ValidID reports whether s is a well-formed ULID: 26 Crockford base32
// digits (upper case), the first at most '7'.
func ValidID(s string) bool {
	if len(s) != 26 || s[0] > '7' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z' && c != 'I' && c != 'L' && c != 'O' && c != 'U')
		if !ok {
			return false
		}
	}
	return true
}
