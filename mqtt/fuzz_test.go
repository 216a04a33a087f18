package mqtt

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzUnmarshal: any payload either decodes to a message that re-encodes and
// decodes to the same thing, or fails with a *DecodeError wrapping one of the
// sentinels. Never a panic. The seed corpus is every golden file plus
// hand-written near misses.
func FuzzUnmarshal(f *testing.F) {
	goldens, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, g := range goldens {
		b, err := os.ReadFile(g)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		``, `{}`, `null`, `{"v":1}`, `{"v":1,"id":"01KAXQ2J8N5W6Y7Z8A9B0C1D2E","type":"ack","ts":"2026-11-25T04:05:06Z","body":{"ref":"01KAXQ2J8N5W6Y7Z8A9B0C1D2E","result":"done"}}`,
		`{"v":1e400}`, `{"v":1,"id":"01KAXQ2J8N5W6Y7Z8A9B0C1D2E","type":"payment.paid","ts":"2026-11-25T04:05:06Z","body":{"amount_fen":9223372036854775807}}`,
		"{\"v\":1,\"id\":\"\xff\xfe\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Unmarshal(data)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %T %v is not a *DecodeError", err, err)
			}
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupportedVersion) &&
				!errors.Is(err, ErrUnknownType) && !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v wraps no sentinel", err)
			}
			return
		}
		again, err := m.Marshal()
		if err != nil {
			t.Fatalf("a decoded message does not re-encode: %v", err)
		}
		m2, err := Unmarshal(again)
		if err != nil {
			t.Fatalf("re-encoded message does not decode: %v", err)
		}
		if m2.ID != m.ID || m2.Type != m.Type || !m2.TS.Equal(m.TS) || m2.Seq != m.Seq {
			t.Fatalf("round trip changed the header: %+v vs %+v", m, m2)
		}
	})
}
