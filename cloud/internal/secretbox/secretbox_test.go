package secretbox

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestSealOpen(t *testing.T) {
	key := bytes.Repeat([]byte{7}, KeySize)
	b, err := New(key)
	if err != nil {
		t.Fatal(err)
	}
	sealed := b.Seal([]byte("apiv3-key"), []byte("prov1"))
	if strings.Contains(sealed, "apiv3") {
		t.Fatalf("sealed value leaks plaintext: %q", sealed)
	}
	got, err := b.Open(sealed, []byte("prov1"))
	if err != nil || string(got) != "apiv3-key" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := b.Open(sealed, []byte("prov2")); !errors.Is(err, ErrOpen) {
		t.Fatalf("Open with other owner: %v, want ErrOpen", err)
	}
	other, _ := New(bytes.Repeat([]byte{8}, KeySize))
	if _, err := other.Open(sealed, []byte("prov1")); !errors.Is(err, ErrOpen) {
		t.Fatalf("Open with other key: %v, want ErrOpen", err)
	}
	for _, bad := range []string{"", "!!", "AAAA"} {
		if _, err := b.Open(bad, nil); !errors.Is(err, ErrOpen) {
			t.Errorf("Open(%q) = %v, want ErrOpen", bad, err)
		}
	}
	if _, err := New([]byte("short")); !errors.Is(err, ErrKeySize) {
		t.Errorf("New(short) = %v", err)
	}
}

func FuzzOpen(f *testing.F) {
	b, _ := New(bytes.Repeat([]byte{1}, KeySize))
	f.Add(b.Seal([]byte("x"), nil))
	f.Add("")
	f.Add("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = b.Open(s, nil) // must not panic
	})
}

func TestSign(t *testing.T) {
	b, _ := New(bytes.Repeat([]byte{7}, KeySize))
	again, _ := New(bytes.Repeat([]byte{7}, KeySize))
	other, _ := New(bytes.Repeat([]byte{8}, KeySize))
	m := b.Sign("oauth-state", []byte("payload"))
	if len(m) != 32 {
		t.Fatalf("MAC of %d bytes, want 32", len(m))
	}
	if !bytes.Equal(m, again.Sign("oauth-state", []byte("payload"))) {
		t.Error("two boxes with one key sign differently (cloud nodes would refuse each other's tokens)")
	}
	for name, got := range map[string][]byte{
		"another key":     other.Sign("oauth-state", []byte("payload")),
		"another purpose": b.Sign("oauth-statf", []byte("payload")),
		"another message": b.Sign("oauth-state", []byte("payloae")),
	} {
		if bytes.Equal(m, got) {
			t.Errorf("%s gives the same MAC", name)
		}
	}
}
