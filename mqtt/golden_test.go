package mqtt

import (
	"bytes"
	"encoding/json"
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
			raw, err := exampleMessage(body).Marshal()
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, raw, "", "  "); err != nil {
				t.Fatal(err)
			}
			pretty.WriteByte('\n')
			path := filepath.Join("testdata", string(kind)+".json")
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
			// The golden file decodes back to the same message.
			got, err := Unmarshal(want)
			if err != nil {
				t.Fatalf("Unmarshal(golden): %v", err)
			}
			if diff := cmp.Diff(got, exampleMessage(body)); diff != "" {
				t.Errorf("round trip (-got +want):\n%s", diff)
			}
		})
	}
}
