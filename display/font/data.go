package font

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
)

//go:embed unifont.bin.gz
var unifontGz []byte

// set is the decoded glyph subset, shared read-only by every Face.
type set struct {
	runes []rune   // sorted
	off   []uint32 // offset of each glyph in bits
	wide  []bool   // 16 px wide (else 8 px)
	bits  []byte
	repl  int // index of U+FFFD
}

var loadSet = sync.OnceValues(func() (*set, error) { return decode(unifontGz) })

// decode parses the format written by ./internal/gen.
func decode(gz []byte) (*set, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("font: %w", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("font: %w", err)
	}
	if len(raw) < 9 || string(raw[:4]) != "QRUF" || raw[4] != 1 {
		return nil, errors.New("font: bad glyph data header")
	}
	n := int(binary.LittleEndian.Uint32(raw[5:9]))
	idx := raw[9:]
	if n <= 0 || len(idx) < n*5 {
		return nil, errors.New("font: truncated glyph index")
	}
	s := &set{
		runes: make([]rune, n),
		off:   make([]uint32, n),
		wide:  make([]bool, n),
		bits:  idx[n*5:],
		repl:  -1,
	}
	var off uint32
	for i := range n {
		e := idx[i*5 : i*5+5]
		s.runes[i] = rune(binary.LittleEndian.Uint32(e))
		if i > 0 && s.runes[i] <= s.runes[i-1] {
			return nil, fmt.Errorf("font: glyph index not sorted at %U", s.runes[i])
		}
		switch e[4] {
		case 8:
		case 16:
			s.wide[i] = true
		default:
			return nil, fmt.Errorf("font: %U: bad width %d", s.runes[i], e[4])
		}
		s.off[i] = off
		off += uint32(e[4]) * 2
		if s.runes[i] == 0xFFFD {
			s.repl = i
		}
	}
	if int(off) != len(s.bits) {
		return nil, fmt.Errorf("font: glyph data is %d bytes, index says %d", len(s.bits), off)
	}
	if s.repl < 0 {
		return nil, errors.New("font: no U+FFFD glyph")
	}
	return s, nil
}

// find returns the index of r, or -1.
func (s *set) find(r rune) int {
	i := sort.Search(len(s.runes), func(i int) bool { return s.runes[i] >= r })
	if i < len(s.runes) && s.runes[i] == r {
		return i
	}
	return -1
}

// row returns glyph i's 16 rows: 1 byte per row if narrow, 2 if wide.
func (s *set) glyph(i int) (bits []byte, width int) {
	w := 8
	if s.wide[i] {
		w = 16
	}
	return s.bits[s.off[i] : s.off[i]+uint32(w*2)], w
}
