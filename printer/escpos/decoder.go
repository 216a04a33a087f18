package escpos

import (
	"fmt"
	"strings"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// Kind names what a decoded Command does.
type Kind int

// Command kinds. Unknown covers every byte sequence the decoder does not
// know, including truncated commands and bytes that are not valid text.
const (
	Unknown Kind = iota
	Text
	LineFeed
	CarriageReturn
	Tab
	Init
	ChineseOn
	ChineseOff
	CharSize       // GS ! n
	ChineseSize    // FS ! n
	ChineseQuad    // FS W n
	Bold           // ESC E n
	Align          // ESC a n
	LineSpacing    // ESC 3 n
	DefaultSpacing // ESC 2
	Feed           // ESC d n
	QRModel        // GS ( k fn 165
	QRModuleSize   // GS ( k fn 167
	QRErrorLevel   // GS ( k fn 169
	QRStore        // GS ( k fn 180
	QRPrint        // GS ( k fn 181
	Raster         // GS v 0
	Cut            // GS V 0/1/48/49
	FeedAndCut     // GS V 65/66 n
	StatusRequest  // DLE EOT n
)

var kindNames = [...]string{
	Unknown: "unknown", Text: "text", LineFeed: "LF", CarriageReturn: "CR",
	Tab: "HT", Init: "ESC @", ChineseOn: "FS &", ChineseOff: "FS .",
	CharSize: "GS !", ChineseSize: "FS !", ChineseQuad: "FS W", Bold: "ESC E",
	Align: "ESC a", LineSpacing: "ESC 3", DefaultSpacing: "ESC 2", Feed: "ESC d",
	QRModel: "GS ( k model", QRModuleSize: "GS ( k module size",
	QRErrorLevel: "GS ( k error correction", QRStore: "GS ( k store",
	QRPrint: "GS ( k print", Raster: "GS v 0", Cut: "GS V", FeedAndCut: "GS V feed-cut",
	StatusRequest: "DLE EOT",
}

func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Command is one decoded element of an ESC/POS stream.
type Command struct {
	Kind   Kind
	Offset int    // position of the first byte in the stream
	Raw    []byte // the bytes of the command, aliasing the input
	Arg    int    // the numeric parameter (n, m or the QR function's value)
	Text   string // Text: the characters; Unknown: why it is not known
	Data   []byte // QRStore: the payload; Raster: the bits, row by row

	// Raster only: size in dots and the GS v 0 mode (0 normal, 1 double
	// width, 2 double height, 3 quadruple).
	Width, Height int
}

func (c Command) String() string {
	switch c.Kind {
	case Text:
		return fmt.Sprintf("%d: text %q", c.Offset, c.Text)
	case Unknown:
		return fmt.Sprintf("%d: unknown % X (%s)", c.Offset, c.Raw, c.Text)
	case QRStore:
		return fmt.Sprintf("%d: %s %q", c.Offset, c.Kind, c.Data)
	case Raster:
		return fmt.Sprintf("%d: %s %dx%d mode %d", c.Offset, c.Kind, c.Width, c.Height, c.Arg)
	}
	if len(c.Raw) > 2 || c.Kind == Feed {
		return fmt.Sprintf("%d: %s %d", c.Offset, c.Kind, c.Arg)
	}
	return fmt.Sprintf("%d: %s", c.Offset, c.Kind)
}

// Decode parses an ESC/POS byte stream. It never fails: what it does not
// know becomes an Unknown command with the reason in Text, and decoding
// goes on after it. Text is decoded as GB18030 while Chinese mode is on
// (the state after ESC @ on Chinese printers) and as code page 437
// otherwise.
func Decode(b []byte) []Command {
	d := decoder{b: b, chinese: true}
	for d.i < len(b) {
		d.next()
	}
	d.flushText()
	return d.out
}

type decoder struct {
	b       []byte
	i       int
	chinese bool
	out     []Command

	textStart int
	text      strings.Builder
	inText    bool
}

func (d *decoder) emit(c Command) {
	d.flushText()
	d.out = append(d.out, c)
}

func (d *decoder) cmd(k Kind, n int, arg int) {
	d.emit(Command{Kind: k, Offset: d.i, Raw: d.b[d.i : d.i+n], Arg: arg})
	d.i += n
}

func (d *decoder) unknown(n int, why string) {
	if d.i+n > len(d.b) {
		n = len(d.b) - d.i
	}
	d.emit(Command{Kind: Unknown, Offset: d.i, Raw: d.b[d.i : d.i+n], Text: why})
	d.i += n
}

func (d *decoder) flushText() {
	if !d.inText {
		return
	}
	d.out = append(d.out, Command{Kind: Text, Offset: d.textStart, Raw: d.b[d.textStart:d.i], Text: d.text.String()})
	d.text.Reset()
	d.inText = false
}

func (d *decoder) addText(n int, s string) {
	if !d.inText {
		d.inText = true
		d.textStart = d.i
	}
	d.text.WriteString(s)
	d.i += n
}

// need reports whether n bytes are available from the current position;
// if not, the rest of the stream becomes one Unknown command.
func (d *decoder) need(n int, name string) bool {
	if d.i+n <= len(d.b) {
		return true
	}
	d.unknown(len(d.b)-d.i, "truncated "+name)
	return false
}

func (d *decoder) next() {
	c := d.b[d.i]
	switch {
	case c == lf:
		d.cmd(LineFeed, 1, 0)
	case c == '\r':
		d.cmd(CarriageReturn, 1, 0)
	case c == '\t':
		d.cmd(Tab, 1, 0)
	case c == esc:
		d.escape()
	case c == fs:
		d.fileSep()
	case c == gs:
		d.groupSep()
	case c == dle:
		if d.need(3, "DLE EOT") && d.b[d.i+1] == eot {
			n := int(d.b[d.i+2])
			if n == 1 || n == 2 || n == 3 || n == 4 {
				d.cmd(StatusRequest, 3, n)
				return
			}
			d.unknown(3, fmt.Sprintf("DLE EOT with n=%d", n))
			return
		}
		if d.i < len(d.b) {
			d.unknown(2, "DLE command")
		}
	case c < 0x20 || c == 0x7f:
		d.unknown(1, fmt.Sprintf("control byte 0x%02X", c))
	case c < 0x80:
		d.addText(1, string(rune(c)))
	case !d.chinese:
		r := charmap.CodePage437.DecodeByte(c)
		d.addText(1, string(r))
	default:
		d.gbText()
	}
}

func (d *decoder) gbText() {
	c := d.b[d.i]
	if c == 0x80 || c == 0xff {
		d.unknown(1, fmt.Sprintf("byte 0x%02X is not a GB18030 lead byte", c))
		return
	}
	if d.i+1 >= len(d.b) {
		d.unknown(1, "truncated GB18030 character")
		return
	}
	t := d.b[d.i+1]
	if t >= 0x30 && t <= 0x39 {
		n := min(4, len(d.b)-d.i)
		d.unknown(n, "four-byte GB18030 character (not printable)")
		return
	}
	if t < 0x40 || t == 0x7f || t == 0xff {
		d.unknown(1, fmt.Sprintf("byte 0x%02X 0x%02X is not a GB18030 character", c, t))
		return
	}
	s, err := simplifiedchinese.GB18030.NewDecoder().Bytes(d.b[d.i : d.i+2])
	if err != nil || string(s) == "\uFFFD" {
		d.unknown(2, "GB18030 code with no character")
		return
	}
	d.addText(2, string(s))
}

func (d *decoder) escape() {
	if !d.need(2, "ESC command") {
		return
	}
	switch op := d.b[d.i+1]; op {
	case '@':
		d.chinese = true
		d.cmd(Init, 2, 0)
	case '2':
		d.cmd(DefaultSpacing, 2, 0)
	case 'E', 'a', '3', 'd':
		if !d.need(3, "ESC "+string(rune(op))) {
			return
		}
		n := int(d.b[d.i+2])
		switch op {
		case 'E':
			d.cmd(Bold, 3, n&1)
		case 'a':
			if n > 2 && !(n >= '0' && n <= '2') {
				d.unknown(3, fmt.Sprintf("ESC a with n=%d", n))
				return
			}
			if n >= '0' {
				n -= '0'
			}
			d.cmd(Align, 3, n)
		case '3':
			d.cmd(LineSpacing, 3, n)
		case 'd':
			d.cmd(Feed, 3, n)
		}
	default:
		d.unknown(2, fmt.Sprintf("ESC 0x%02X", op))
	}
}

func (d *decoder) fileSep() {
	if !d.need(2, "FS command") {
		return
	}
	switch op := d.b[d.i+1]; op {
	case '&':
		d.chinese = true
		d.cmd(ChineseOn, 2, 0)
	case '.':
		d.chinese = false
		d.cmd(ChineseOff, 2, 0)
	case '!':
		if d.need(3, "FS !") {
			d.cmd(ChineseSize, 3, int(d.b[d.i+2]))
		}
	case 'W':
		if d.need(3, "FS W") {
			d.cmd(ChineseQuad, 3, int(d.b[d.i+2]))
		}
	default:
		d.unknown(2, fmt.Sprintf("FS 0x%02X", op))
	}
}

func (d *decoder) groupSep() {
	if !d.need(2, "GS command") {
		return
	}
	switch op := d.b[d.i+1]; op {
	case '!':
		if d.need(3, "GS !") {
			d.cmd(CharSize, 3, int(d.b[d.i+2]))
		}
	case 'V':
		d.cut()
	case '(':
		d.qr()
	case 'v':
		d.raster()
	default:
		d.unknown(2, fmt.Sprintf("GS 0x%02X", op))
	}
}

func (d *decoder) cut() {
	if !d.need(3, "GS V") {
		return
	}
	switch m := d.b[d.i+2]; m {
	case 0, 1, '0', '1':
		d.cmd(Cut, 3, int(m&1))
	case 65, 66:
		if d.need(4, "GS V m n") {
			d.cmd(FeedAndCut, 4, int(d.b[d.i+3]))
		}
	default:
		d.unknown(3, fmt.Sprintf("GS V with m=%d", m))
	}
}

// qr decodes GS ( k for the QR symbol (cn = 49). Other symbols and
// functions are named as unknown.
func (d *decoder) qr() {
	if !d.need(5, "GS ( command") {
		return
	}
	if d.b[d.i+2] != 'k' {
		d.unknown(3, fmt.Sprintf("GS ( 0x%02X", d.b[d.i+2]))
		return
	}
	n := int(d.b[d.i+3]) | int(d.b[d.i+4])<<8
	total := 5 + n
	if !d.need(total, "GS ( k") {
		return
	}
	p := d.b[d.i+5 : d.i+total]
	if n < 2 || p[0] != '1' {
		d.unknown(total, "GS ( k for a symbol other than QR")
		return
	}
	switch fn := p[1]; {
	case fn == 'A' && n == 4 && (p[2] == '1' || p[2] == '2'):
		d.cmd(QRModel, total, int(p[2]-'0'))
	case fn == 'C' && n == 3:
		d.cmd(QRModuleSize, total, int(p[2]))
	case fn == 'E' && n == 3 && p[2] >= 48 && p[2] <= 51:
		d.cmd(QRErrorLevel, total, int(p[2]))
	case fn == 'P' && n >= 3 && p[2] == '0':
		c := Command{Kind: QRStore, Offset: d.i, Raw: d.b[d.i : d.i+total], Data: p[3:], Arg: len(p) - 3}
		d.emit(c)
		d.i += total
	case fn == 'Q' && n == 3 && p[2] == '0':
		d.cmd(QRPrint, total, 0)
	default:
		d.unknown(total, fmt.Sprintf("GS ( k QR function 0x%02X with %d parameter bytes", fn, n))
	}
}

func (d *decoder) raster() {
	if !d.need(8, "GS v 0") {
		return
	}
	if d.b[d.i+2] != '0' {
		d.unknown(3, fmt.Sprintf("GS v 0x%02X", d.b[d.i+2]))
		return
	}
	m := d.b[d.i+3]
	if m > 3 && !(m >= '0' && m <= '3') {
		d.unknown(8, fmt.Sprintf("GS v 0 with mode %d", m))
		return
	}
	xBytes := int(d.b[d.i+4]) | int(d.b[d.i+5])<<8
	rows := int(d.b[d.i+6]) | int(d.b[d.i+7])<<8
	if xBytes == 0 || rows == 0 {
		d.unknown(8, "GS v 0 with an empty image")
		return
	}
	total := 8 + xBytes*rows
	if !d.need(total, "GS v 0 image") {
		return
	}
	d.emit(Command{
		Kind: Raster, Offset: d.i, Raw: d.b[d.i : d.i+total], Arg: int(m & 3),
		Data: d.b[d.i+8 : d.i+total], Width: xBytes * 8, Height: rows,
	})
	d.i += total
}

// Lines returns the text the commands print, one string per printed line:
// text up to each line feed (and a final unterminated line, if any). It is
// what tests compare with the text a layout meant to print.
func Lines(cmds []Command) []string {
	var lines []string
	var cur strings.Builder
	pending := false
	for _, c := range cmds {
		switch c.Kind {
		case Text:
			cur.WriteString(c.Text)
			pending = true
		case LineFeed:
			lines = append(lines, cur.String())
			cur.Reset()
			pending = false
		case Feed, QRPrint, Raster:
			// These print the line buffer first.
			if pending {
				lines = append(lines, cur.String())
				cur.Reset()
				pending = false
			}
		}
	}
	if pending {
		lines = append(lines, cur.String())
	}
	return lines
}

// Unknowns returns the Unknown commands among cmds.
func Unknowns(cmds []Command) []Command {
	var u []Command
	for _, c := range cmds {
		if c.Kind == Unknown {
			u = append(u, c)
		}
	}
	return u
}
