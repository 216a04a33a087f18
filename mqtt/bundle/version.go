package bundle

import (
	"strconv"
	"strings"
)

// ParseVersion reads "v1.4.0" or "1.4.0" (optionally followed by "-…",
// e.g. git describe's "-3-gabc123", which sorts after the plain version)
// into its numbers and a flag for the suffix.
func ParseVersion(s string) (v [4]int, ok bool) {
	s = strings.TrimPrefix(s, "v")
	core, rest, hasRest := strings.Cut(s, "-")
	parts := strings.Split(core, ".")
	if len(parts) != 3 {
		return v, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 1e6 || p == "" || (len(p) > 1 && p[0] == '0') {
			return v, false
		}
		v[i] = n
	}
	if hasRest {
		// git describe: COMMITS-gHASH after the tag; anything else sorts
		// with the tag.
		if n, _, ok := strings.Cut(rest, "-"); ok {
			if c, err := strconv.Atoi(n); err == nil && c > 0 {
				v[3] = c
			}
		}
	}
	return v, true
}

// Compare orders two versions: -1, 0 or +1, and ok=false when either is
// not a version (a "dev" build).
func Compare(a, b string) (int, bool) {
	va, ok1 := ParseVersion(a)
	vb, ok2 := ParseVersion(b)
	if !ok1 || !ok2 {
		return 0, false
	}
	for i := range va {
		switch {
		case va[i] < vb[i]:
			return -1, true
		case va[i] > vb[i]:
			return 1, true
		}
	}
	return 0, true
}
