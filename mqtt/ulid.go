package mqtt

import (
	"crypto/rand"
	"encoding/binary"
	"sync"
	"time"
)

// Message ids are ULIDs (https://github.com/ulid/spec): 48 bits of
// millisecond time and 80 random bits in Crockford base32, 26 characters.
// They sort by creation time, which makes logs and journals easy to read.
// Within one millisecond the generator increments the random part, so ids
// from one process are strictly increasing.

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

type ulidGen struct {
	mu     sync.Mutex
	lastMS uint64
	hi     uint16 // top 16 of the 80 random bits
	lo     uint64 // low 64 of the 80 random bits
}

var ids ulidGen

// NewID returns a new ULID for time t.
func NewID(t time.Time) string { return ids.next(t) }

func (g *ulidGen) next(t time.Time) string {
	ms := uint64(t.UnixMilli())
	g.mu.Lock()
	if ms <= g.lastMS {
		// Same (or earlier: clock stepped back) millisecond: stay monotonic.
		ms = g.lastMS
		g.lo++
		if g.lo == 0 {
			g.hi++
		}
	} else {
		var b [10]byte
		if _, err := rand.Read(b[:]); err != nil {
			panic("mqtt: crypto/rand failed: " + err.Error())
		}
		g.hi = binary.BigEndian.Uint16(b[:2])
		g.lo = binary.BigEndian.Uint64(b[2:])
		g.lastMS = ms
	}
	hi, lo := g.hi, g.lo
	g.mu.Unlock()

	var raw [16]byte
	raw[0], raw[1], raw[2] = byte(ms>>40), byte(ms>>32), byte(ms>>24)
	raw[3], raw[4], raw[5] = byte(ms>>16), byte(ms>>8), byte(ms)
	binary.BigEndian.PutUint16(raw[6:8], hi)
	binary.BigEndian.PutUint64(raw[8:], lo)
	return encodeULID(raw)
}

// encodeULID writes 128 bits as 26 base32 digits (the first carries 3 bits).
func encodeULID(raw [16]byte) string {
	var out [26]byte
	// Treat raw as a 130-bit big-endian number with two leading zero bits.
	bit := func(i int) byte { // i in [0,130)
		i -= 2
		if i < 0 {
			return 0
		}
		return (raw[i/8] >> (7 - uint(i%8))) & 1
	}
	for d := 0; d < 26; d++ {
		var v byte
		for k := 0; k < 5; k++ {
			v = v<<1 | bit(d*5+k)
		}
		out[d] = crockford[v]
	}
	return string(out[:])
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
