package printer

import (
	"strings"
	"unicode/utf8"

	"github.com/qrstand/qrstand/printer/escpos"
)

// Wrap breaks s into lines of at most cols display columns, as the printer
// shows it (escpos.Printable), counting a Chinese character as two columns.
// It breaks between words when a line has a space, inside a word only when
// the word alone is too long, and never inside a character. Newlines in s
// start new lines; spaces at the end of a broken line are dropped.
func Wrap(s string, cols int) []string {
	if cols < 2 {
		cols = 2
	}
	var out []string
	for _, para := range strings.Split(escpos.Printable(s), "\n") {
		out = append(out, wrapLine(para, cols)...)
	}
	return out
}

func wrapLine(s string, cols int) []string {
	var lines []string
	var cur strings.Builder
	w := 0
	flush := func() {
		lines = append(lines, strings.TrimRight(cur.String(), " "))
		cur.Reset()
		w = 0
	}
	for _, tok := range tokens(s) {
		tw := escpos.Width(tok)
		switch {
		case w+tw <= cols:
			cur.WriteString(tok)
			w += tw
		case tok == " ":
			flush()
		case tw > cols || !isWord(tok):
			// A word longer than a line, or a single wide character: fill
			// the line character by character.
			for _, r := range tok {
				rw := escpos.RuneWidth(r)
				if w+rw > cols {
					flush()
				}
				cur.WriteRune(r)
				w += rw
			}
		default:
			flush()
			cur.WriteString(tok)
			w = tw
		}
	}
	if cur.Len() > 0 || len(lines) == 0 {
		flush()
	}
	return lines
}

// tokens splits s into runs of ASCII non-space characters (words), single
// spaces and single non-ASCII characters.
func tokens(s string) []string {
	var toks []string
	start := -1
	for i, r := range s {
		if r < utf8.RuneSelf && r != ' ' {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			toks = append(toks, s[start:i])
			start = -1
		}
		toks = append(toks, string(r))
	}
	if start >= 0 {
		toks = append(toks, s[start:])
	}
	return toks
}

func isWord(tok string) bool { return len(tok) > 0 && tok[0] < utf8.RuneSelf && tok[0] != ' ' }

// Pad returns s padded with spaces to cols columns, aligned left, centred
// or right. A string wider than cols is returned unchanged.
func Pad(s string, cols int, a escpos.Alignment) string {
	gap := cols - escpos.Width(s)
	if gap <= 0 {
		return s
	}
	switch a {
	case escpos.Center:
		return strings.Repeat(" ", gap/2) + s + strings.Repeat(" ", gap-gap/2)
	case escpos.Right:
		return strings.Repeat(" ", gap) + s
	}
	return s + strings.Repeat(" ", gap)
}

// Pair lays out a label on the left and a value on the right of cols
// columns. When both do not fit on one line, the label comes first
// (wrapped) and the value follows: right-aligned if it fits one line,
// wrapped and left-aligned (as running text reads) if not.
func Pair(label, value string, cols int) []string {
	lw, vw := escpos.Width(label), escpos.Width(value)
	if lw+1+vw <= cols && !strings.ContainsRune(label+value, '\n') {
		return []string{escpos.Printable(label) + strings.Repeat(" ", cols-lw-vw) + escpos.Printable(value)}
	}
	lines := Wrap(label, cols)
	vs := Wrap(value, cols)
	if len(vs) > 1 {
		return append(lines, vs...)
	}
	return append(lines, Pad(vs[0], cols, escpos.Right))
}
