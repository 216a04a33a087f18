// Command gen builds the glyph subset embedded by package font from GNU
// Unifont's .hex source (Debian package "unifont",
// /usr/share/unifont/unifont.hex).
//
// The subset is: printable ASCII, Latin-1, the punctuation, currency, arrow,
// box-drawing and shape blocks that screens and receipts draw, CJK symbols
// and punctuation, full-width and half-width forms (including ￥ U+FFE5),
// every character of GB2312 (GB/T 2312-1980), and U+FFFD, which package font
// draws for runes it lacks.
//
// Output format (then gzip-compressed), all integers little-endian:
//
//	magic   "QRUF" (4 bytes)
//	version 1 (1 byte)
//	count   uint32
//	count × { rune uint32; width uint8 (8 or 16) }   sorted by rune
//	bitmaps: for each glyph in index order, 16 rows of width/8 bytes,
//	         most significant bit leftmost, 1 = ink
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/text/encoding/simplifiedchinese"
)

func main() {
	hexPath := flag.String("hex", "/usr/share/unifont/unifont.hex", "GNU Unifont .hex source")
	out := flag.String("o", "unifont.bin.gz", "output file")
	flag.Parse()

	glyphs, err := readHex(*hexPath)
	if err != nil {
		log.Fatal(err)
	}
	want := subset()
	var missing []rune
	sel := make([]glyph, 0, len(want))
	for _, r := range want {
		g, ok := glyphs[r]
		if !ok {
			missing = append(missing, r)
			continue
		}
		sel = append(sel, g)
	}
	for _, r := range gb2312() {
		if _, ok := glyphs[r]; !ok {
			log.Fatalf("gen: GB2312 character %U %q missing from %s", r, r, *hexPath)
		}
	}
	if _, ok := glyphs[0xFFFD]; !ok {
		log.Fatalf("gen: U+FFFD missing from %s", *hexPath)
	}
	var buf bytes.Buffer
	if err := encode(&buf, sel); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("gen: wrote %d glyphs (%d bytes) to %s; %d wanted code points not in Unifont (unassigned)", len(sel), buf.Len(), *out, len(missing))
}

type glyph struct {
	r    rune
	bits []byte // 16 rows × width/8 bytes
}

func (g glyph) width() int { return len(g.bits) / 2 }

// readHex parses Unifont's "XXXX:HEXBITMAP" lines; 32 hex digits is an 8-pixel
// wide glyph, 64 a 16-pixel wide one.
func readHex(path string) (map[rune]glyph, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("gen: %w", err)
	}
	defer f.Close()
	m := make(map[rune]glyph, 60000)
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		cp, bm, ok := strings.Cut(strings.TrimSpace(sc.Text()), ":")
		if !ok {
			continue
		}
		n, err := strconv.ParseUint(cp, 16, 32)
		if err != nil {
			return nil, fmt.Errorf("gen: %s:%d: code point: %w", path, line, err)
		}
		if len(bm) != 32 && len(bm) != 64 {
			// 24- and 32-pixel experimental widths exist upstream; we do not use them.
			continue
		}
		bits, err := hex.DecodeString(bm)
		if err != nil {
			return nil, fmt.Errorf("gen: %s:%d: bitmap: %w", path, line, err)
		}
		m[rune(n)] = glyph{r: rune(n), bits: bits}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("gen: %s: %w", path, err)
	}
	if len(m) == 0 {
		return nil, errors.New("gen: no glyphs in " + path)
	}
	return m, nil
}

// subset lists every code point we want, sorted and unique.
func subset() []rune {
	set := map[rune]bool{}
	addRange := func(lo, hi rune) {
		for r := lo; r <= hi; r++ {
			set[r] = true
		}
	}
	addRange(0x0020, 0x007E) // ASCII
	addRange(0x00A0, 0x00FF) // Latin-1 supplement (·, ×, ÷, ¥)
	addRange(0x0391, 0x03C9) // Greek (in GB2312)
	addRange(0x0401, 0x0451) // Cyrillic (in GB2312)
	addRange(0x2000, 0x206F) // general punctuation (…, ‘’, “”, —)
	addRange(0x20A0, 0x20BF) // currency symbols
	addRange(0x2100, 0x214F) // letterlike symbols (℃, №)
	addRange(0x2150, 0x218F) // number forms (Ⅰ Ⅱ)
	addRange(0x2190, 0x21FF) // arrows
	addRange(0x2200, 0x22FF) // mathematical operators (in GB2312)
	addRange(0x2300, 0x23FF) // miscellaneous technical (⌛ ⏻)
	addRange(0x2460, 0x24FF) // enclosed alphanumerics (①)
	addRange(0x2500, 0x257F) // box drawing
	addRange(0x2580, 0x259F) // block elements
	addRange(0x25A0, 0x25FF) // geometric shapes
	addRange(0x2600, 0x26FF) // miscellaneous symbols (⚡ ☑)
	addRange(0x2700, 0x27BF) // dingbats (✓ ✗)
	addRange(0x3000, 0x303F) // CJK symbols and punctuation (。、「」)
	addRange(0x3040, 0x30FF) // kana (in GB2312)
	addRange(0x3100, 0x312F) // bopomofo (in GB2312)
	addRange(0x3220, 0x324F) // parenthesised ideographs (㈠)
	addRange(0xFE30, 0xFE4F) // CJK compatibility forms (vertical punctuation)
	addRange(0xFF00, 0xFFEF) // half-width and full-width forms (，：￥)
	set[0xFFFD] = true       // replacement character
	for _, r := range gb2312() {
		set[r] = true
	}
	out := make([]rune, 0, len(set))
	for r := range set {
		out = append(out, r)
	}
	slices.Sort(out)
	return out
}

// gb2312 decodes every assigned EUC-CN code (rows 0xA1–0xF7, cells
// 0xA1–0xFE) through the GBK decoder, which agrees with GB2312 where GB2312
// assigns a character; inGB2312 drops the cells GBK added in those rows.
func gb2312() []rune {
	dec := simplifiedchinese.GBK.NewDecoder()
	var out []rune
	for hi := 0xA1; hi <= 0xF7; hi++ {
		for lo := 0xA1; lo <= 0xFE; lo++ {
			if !inGB2312(hi, lo) {
				continue
			}
			b, err := dec.Bytes([]byte{byte(hi), byte(lo)})
			if err != nil {
				continue
			}
			r := []rune(string(b))
			if len(r) != 1 || r[0] == 0xFFFD || r[0] >= 0xE000 && r[0] <= 0xF8FF {
				continue // unassigned cell, or GBK's private-use mapping
			}
			out = append(out, r[0])
		}
	}
	return out
}

func encode(w io.Writer, gs []glyph) error {
	var raw bytes.Buffer
	raw.WriteString("QRUF")
	raw.WriteByte(1)
	binary.Write(&raw, binary.LittleEndian, uint32(len(gs)))
	for _, g := range gs {
		binary.Write(&raw, binary.LittleEndian, uint32(g.r))
		raw.WriteByte(byte(g.width()))
	}
	for _, g := range gs {
		raw.Write(g.bits)
	}
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return fmt.Errorf("gen: %w", err)
	}
	if _, err := zw.Write(raw.Bytes()); err != nil {
		return fmt.Errorf("gen: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("gen: %w", err)
	}
	return nil
}

// inGB2312 reports whether EUC-CN cell (hi, lo) is one that GB2312 itself
// assigns, as opposed to one GBK/CP936 filled later (small roman numerals
// and € in row 2, vertical punctuation in row 6, extra pinyin in row 8).
func inGB2312(hi, lo int) bool {
	switch hi {
	case 0xA2:
		return lo >= 0xB1 && lo != 0xE3 && lo != 0xE4
	case 0xA6:
		return lo < 0xE0
	case 0xA8:
		return lo < 0xBB || lo > 0xC0
	}
	return hi <= 0xA9 || hi >= 0xB0
}
