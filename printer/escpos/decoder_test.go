package escpos

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestDecodeKinds(t *testing.T) {
	var buf bytes.Buffer
	e := NewEncoder(&buf)
	e.Init()
	e.ChineseMode(true)
	e.Align(Center)
	e.Bold(true)
	e.Size(2, 2)
	e.Line("￥12.50")
	e.Size(1, 1)
	e.LineSpacing(30)
	e.DefaultLineSpacing()
	e.QR("https://example.com/o/1", 5, QRLevelQ)
	e.Feed(2)
	e.FeedCut(0)
	e.Cut(FullCut)
	if e.Err() != nil {
		t.Fatal(e.Err())
	}
	var got []string
	for _, c := range Decode(buf.Bytes()) {
		got = append(got, c.Kind.String())
	}
	want := []string{"ESC @", "FS &", "ESC a", "ESC E", "GS !", "FS !", "text", "LF",
		"GS !", "FS !", "ESC 3", "ESC 2", "GS ( k model", "GS ( k module size",
		"GS ( k error correction", "GS ( k store", "GS ( k print", "ESC d", "GS V feed-cut", "GS V"}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("kinds (-got +want):\n%s", diff)
	}
}

func TestDecodeNamesUnknown(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		why  string
	}{
		{"ESC x", []byte{0x1b, 'x', 'A'}, "ESC 0x78"},
		{"truncated GS !", []byte{0x1d, '!'}, "truncated GS !"},
		{"four-byte GB18030", []byte{0x81, 0x30, 0x84, 0x36}, "four-byte GB18030 character (not printable)"},
		{"control", []byte{0x07}, "control byte 0x07"},
		{"truncated store", []byte{0x1d, '(', 'k', 10, 0, '1', 'P', '0', 'a'}, "truncated GS ( k"},
		{"other symbol", []byte{0x1d, '(', 'k', 3, 0, '0', 'A', 0}, "GS ( k for a symbol other than QR"},
		{"lone lead byte", []byte{0xb0}, "truncated GB18030 character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := Unknowns(Decode(tt.in))
			if len(u) == 0 {
				t.Fatalf("no unknown command in % X", tt.in)
			}
			if u[0].Text != tt.why {
				t.Errorf("reason %q, want %q", u[0].Text, tt.why)
			}
		})
	}
}

func TestLines(t *testing.T) {
	var buf bytes.Buffer
	e := NewEncoder(&buf)
	e.Init()
	e.Line("店名")
	e.Line("")
	e.Text("金额 ")
	e.Bold(true)
	e.Text("￥1.00")
	e.Feed(3)
	e.Text("tail")
	got := Lines(Decode(buf.Bytes()))
	want := []string{"店名", "", "金额 ￥1.00", "tail"}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("Lines (-got +want):\n%s", diff)
	}
}

// FuzzDecode: the decoder meets bytes from printers and files it did not
// write; it must never panic, must account for every byte, and must keep
// its offsets in order.
func FuzzDecode(f *testing.F) {
	var buf bytes.Buffer
	e := NewEncoder(&buf)
	e.Init()
	e.Line("微信支付 ￥12.50")
	e.QR("https://qr.example/o/123", 6, QRLevelM)
	e.Cut(PartialCut)
	f.Add(buf.Bytes())
	f.Add([]byte{0x1d, 'v', '0', 0, 1, 0, 2, 0, 0xff, 0x81})
	f.Add([]byte{0x1d, '(', 'k', 0xff, 0xff})
	f.Add([]byte{0x10, 0x04, 0x02, 0x1c, '.', 0xe9})
	f.Add([]byte{0x81, 0x30, 0x81})
	f.Fuzz(func(t *testing.T, b []byte) {
		cmds := Decode(b)
		next := 0
		for _, c := range cmds {
			if c.Offset != next {
				t.Fatalf("command %v at %d, expected offset %d", c, c.Offset, next)
			}
			if len(c.Raw) == 0 {
				t.Fatalf("empty command %v", c)
			}
			next += len(c.Raw)
			_ = c.String()
		}
		if next != len(b) {
			t.Fatalf("commands cover %d of %d bytes", next, len(b))
		}
	})
}

// FuzzEncodeText: any string encodes to a stream that decodes back to
// known commands only, with the text the printer shows being exactly
// Printable(s) — every character kept or visibly replaced.
func FuzzEncodeText(f *testing.F) {
	for _, s := range []string{"微信收款 ￥12.50", "¥", "😀🀄", "\x1b@\x1dV\x00", "a\nb", "\xff\xfe", "𠀀丂", "é ü ß €"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var buf bytes.Buffer
		e := NewEncoder(&buf)
		e.Init()
		e.Line(s)
		if err := e.Err(); err != nil {
			t.Fatalf("Line(%q): %v", s, err)
		}
		cmds := Decode(buf.Bytes())
		if u := Unknowns(cmds); len(u) > 0 {
			t.Fatalf("Line(%q) produced unknown bytes: %v", s, u)
		}
		got := strings.Join(Lines(cmds), "\n")
		want := Printable(s)
		if got != want {
			t.Fatalf("Line(%q) prints %q, want %q", s, got, want)
		}
		// Every printed character is the input's or a visible stand-in.
		in := []rune(strings.ReplaceAll(s, "\n", ""))
		out := []rune(strings.ReplaceAll(got, "\n", ""))
		if len(in) != len(out) {
			if utf8.ValidString(s) {
				t.Fatalf("%d characters in, %d out", len(in), len(out))
			}
			return
		}
		for i := range in {
			if in[i] != out[i] && out[i] != Replacement && out[i] != substitutes[in[i]] {
				t.Fatalf("character %q printed as %q", in[i], out[i])
			}
		}
	})
}
