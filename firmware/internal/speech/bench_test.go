package speech

import (
	"io/fs"
	"testing"
)

// BenchmarkAmountText: one amount to text (and its tokens).
func BenchmarkAmountText(b *testing.B) {
	amounts := []int64{1250, 1, 10001200, 9999999999, 10001000000}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := AmountText(amounts[i%len(amounts)], TwoEr); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAnnounceWAV: one whole announcement, event to WAV bytes
// (微信收款十二点五元 at volume 80).
func BenchmarkAnnounceWAV(b *testing.B) {
	p, err := DefaultPack()
	if err != nil {
		b.Fatal(err)
	}
	var n int
	b.ReportAllocs()
	for b.Loop() {
		u, err := Payment(ChannelWeChat, 1250, TwoEr)
		if err != nil {
			b.Fatal(err)
		}
		w, err := p.Synthesize(u.Tokens, 80)
		if err != nil {
			b.Fatal(err)
		}
		n = len(w)
	}
	b.ReportMetric(float64(n), "wav-bytes")
}

// BenchmarkAnnounceWAVLong: the longest amount (99999999.99 yuan).
func BenchmarkAnnounceWAVLong(b *testing.B) {
	p, err := DefaultPack()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		u, _ := Payment(ChannelWeChat, 9999999999, TwoEr)
		if _, err := p.Synthesize(u.Tokens, 80); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadDefaultPack: validating the embedded pack at start-up.
func BenchmarkLoadDefaultPack(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := LoadPack(mustSub(b)); err != nil {
			b.Fatal(err)
		}
	}
}

func mustSub(b *testing.B) fs.FS {
	sub, err := fs.Sub(defaultPackFS, "packs/default")
	if err != nil {
		b.Fatal(err)
	}
	return sub
}
