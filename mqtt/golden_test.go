package mqtt

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

func TestGoldenEveryKind(t *testing.T) {
	ex := examples()
	for _, k := range Kinds() {
		if _, ok := ex[k]; !ok {
			t.Errorf("kind %s has no example (and so no golden file)", k)
		}
	}
	for kind, body := range ex {
		t.Run(string(kind), func(t *testing.T) {
			checkGolden(t, exampleMessage(body), string(kind))
		})
	}
}

// checkGolden compares m's indented encoding with testdata/name.json
// (rewritten first with -update), checks that the golden file decodes back
// to m, and returns the golden file.
func checkGolden(t *testing.T, m Message, name string) []byte {
	t.Helper()
	raw, err := m.Marshal()
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, raw, "", "  "); err != nil {
		t.Fatal(err)
	}
	pretty.WriteByte('\n')
	path := filepath.Join("testdata", name+".json")
	if *update {
		if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(pretty.String(), string(want)); diff != "" {
		t.Errorf("encoding changed (-got +want):\n%s", diff)
	}
	got, err := Unmarshal(want)
	if err != nil {
		t.Fatalf("Unmarshal(golden): %v", err)
	}
	if diff := cmp.Diff(got, m); diff != "" {
		t.Errorf("round trip (-got +want):\n%s", diff)
	}
	return want
}

// TestGoldenResent pins the envelope of an event the cloud sends again
// because the stand's hello reported a last_seq below it.
func TestGoldenResent(t *testing.T) {
	m := exampleMessage(examples()[KindPaymentPaid])
	m.Resent = true
	want := checkGolden(t, m, "payment.paid.resent")
	// An older stand ignores the field; a resent event without a seq is
	// not an outbox event and is refused on both sides.
	m.Seq = 0
	if _, err := m.Marshal(); !errors.Is(err, ErrInvalid) {
		t.Errorf("Marshal(resent, no seq) = %v, want ErrInvalid", err)
	}
	bad := bytes.Replace(want, []byte(`"seq": 42,`), nil, 1)
	if _, err := Unmarshal(bad); !errors.Is(err, ErrMalformed) {
		t.Errorf("Unmarshal(resent, no seq) = %v, want ErrMalformed", err)
	}
}
