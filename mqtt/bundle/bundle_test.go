package bundle

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func testKey(seed byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
}

func build(t testing.TB, m Manifest, payload []byte, key ed25519.PrivateKey) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, m, payload, key); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

var testManifest = Manifest{Version: "v1.4.0", Model: "qrstand-pi", Arch: "arm64", Created: time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)}

func TestRoundTrip(t *testing.T) {
	key := testKey(1)
	payload := []byte("#!/bin/sh\necho new firmware\n")
	raw := build(t, testManifest, payload, key)
	var out bytes.Buffer
	m, err := Read(bytes.NewReader(raw), []ed25519.PublicKey{testKey(9).Public().(ed25519.PublicKey), key.Public().(ed25519.PublicKey)}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if m.Version != "v1.4.0" || m.Size != int64(len(payload)) || !bytes.Equal(out.Bytes(), payload) {
		t.Fatalf("manifest %+v, payload %q", m, out.Bytes())
	}
}

func TestReadRejects(t *testing.T) {
	key := testKey(1)
	trusted := []ed25519.PublicKey{key.Public().(ed25519.PublicKey)}
	payload := bytes.Repeat([]byte("firmware"), 1000)
	good := build(t, testManifest, payload, key)
	flip := func(i int) []byte { b := bytes.Clone(good); b[i] ^= 1; return b }
	manifestAt := bytes.Index(good, []byte(`"version"`))
	payloadAt := bytes.LastIndex(good, []byte("firmware"))
	for name, tc := range map[string]struct {
		raw  []byte
		keys []ed25519.PublicKey
		want error
	}{
		"other key":         {good, []ed25519.PublicKey{testKey(2).Public().(ed25519.PublicKey)}, ErrSignature},
		"no keys":           {good, nil, ErrSignature},
		"manifest tampered": {flip(manifestAt + 3), trusted, ErrSignature},
		"payload tampered":  {flip(payloadAt), trusted, ErrPayload},
		"truncated":         {good[:len(good)-3000], trusted, ErrPayload},
		"cut in manifest":   {good[:manifestAt], trusted, ErrFormat},
		"empty":             {nil, trusted, ErrFormat},
		"not a tar":         {[]byte("hello"), trusted, ErrFormat},
	} {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			_, err := Read(bytes.NewReader(tc.raw), tc.keys, &out)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Read = %v, want %v", err, tc.want)
			}
			if errors.Is(tc.want, ErrSignature) && out.Len() > 0 {
				t.Fatalf("%d payload bytes written before the signature verified", out.Len())
			}
		})
	}
}

func TestWriteRejectsBadManifest(t *testing.T) {
	for _, m := range []Manifest{
		{Version: "1.4", Model: "qrstand-pi", Arch: "arm64"},
		{Version: "v1.4.0", Model: "Qrstand Pi", Arch: "arm64"},
		{Version: "v1.4.0", Model: "qrstand-pi"},
	} {
		if err := Write(io.Discard, m, []byte("x"), testKey(1)); !errors.Is(err, ErrFormat) {
			t.Errorf("Write(%+v) = %v, want ErrFormat", m, err)
		}
	}
}

func TestCompare(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
		ok   bool
	}{
		{"v1.4.0", "v1.3.9", 1, true},
		{"v1.4.0", "1.4.0", 0, true},
		{"v1.10.0", "v1.9.0", 1, true},
		{"v1.4.0-3-gabc123", "v1.4.0", 1, true},
		{"v1.4.0-3-gabc123", "v1.4.1", -1, true},
		{"v2.0.0", "v10.0.0", -1, true},
		{"dev", "v1.0.0", 0, false},
		{"v1.04.0", "v1.4.0", 0, false},
		{"bcb823c-dirty", "v1.0.0", 0, false},
	} {
		got, ok := Compare(tc.a, tc.b)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Compare(%q, %q) = %d, %v; want %d, %v", tc.a, tc.b, got, ok, tc.want, tc.ok)
		}
	}
}

// FuzzRead: a hostile download never panics, and nothing that is not
// signed by the trusted key is accepted.
func FuzzRead(f *testing.F) {
	key := testKey(1)
	trusted := []ed25519.PublicKey{key.Public().(ed25519.PublicKey)}
	good := build(f, testManifest, []byte("payload"), key)
	f.Add(good)
	f.Add(good[:100])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := Read(bytes.NewReader(raw), trusted, io.Discard)
		if err == nil && m.Validate() != nil {
			t.Fatalf("accepted an invalid manifest %+v", m)
		}
	})
}

func TestParseKeys(t *testing.T) {
	k1, k2 := testKey(1).Public().(ed25519.PublicKey), testKey(2).Public().(ed25519.PublicKey)
	text := "# fleet keys\n\n" + EncodePublicKey(k1) + "\n  " + EncodePublicKey(k2) + "  \n"
	keys, err := ParseKeys(strings.NewReader(text))
	if err != nil || len(keys) != 2 || !keys[0].Equal(k1) || !keys[1].Equal(k2) {
		t.Fatalf("ParseKeys = %v, %v", keys, err)
	}
	for _, bad := range []string{"not base64!\n", "aGVsbG8=\n"} {
		if _, err := ParseKeys(strings.NewReader(bad)); err == nil {
			t.Errorf("ParseKeys(%q) accepted", bad)
		}
	}
	if keys, err := ReadKeysFile("/nonexistent/update-keys"); err != nil || keys != nil {
		t.Errorf("missing file: %v, %v", keys, err)
	}
}

// FuzzParseKeys: any update-keys file yields keys of the right size or an
// error, never a panic.
func FuzzParseKeys(f *testing.F) {
	f.Add("# c\n" + EncodePublicKey(testKey(1).Public().(ed25519.PublicKey)) + "\n")
	f.Add("x\n\n#")
	f.Fuzz(func(t *testing.T, text string) {
		keys, err := ParseKeys(strings.NewReader(text))
		for _, k := range keys {
			if err == nil && len(k) != ed25519.PublicKeySize {
				t.Fatalf("key of %d bytes", len(k))
			}
		}
	})
}
