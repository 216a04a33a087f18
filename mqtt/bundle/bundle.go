// Package bundle is the signed firmware bundle: the file the cloud serves
// and a stand installs. Both sides link it (it imports only the standard
// library, like package mqtt), so the cloud refuses to publish a bundle the
// fleet would reject.
//
// A bundle is an uncompressed tar with three entries, in this order:
//
//	manifest.json  the Manifest (what, for which device, payload hash and size)
//	manifest.sig   ed25519 signature of manifest.json's exact bytes (64 bytes, base64)
//	qrstand        the payload: the stand's executable
//
// The signature covers the manifest and the manifest covers the payload
// (sha256 and size), so one signature check and one hash make the whole
// file trusted. A reader checks the signature before it trusts any field
// and writes no payload byte before that. Signing keys stay off the cloud:
// `qrstand-cloud firmware sign` runs on a release machine.
package bundle

import (
	"archive/tar"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Entry names, in the order they appear.
const (
	ManifestName  = "manifest.json"
	SignatureName = "manifest.sig"
	PayloadName   = "qrstand"
)

// FormatVersion is the manifest format this package writes and reads.
const FormatVersion = 1

const (
	maxManifest = 16 << 10
	maxSig      = 256
	// MaxPayload bounds the executable a bundle may carry.
	MaxPayload = 200 << 20
)

// Errors a caller branches on.
var (
	ErrFormat    = errors.New("bundle: not a valid bundle")
	ErrSignature = errors.New("bundle: signature does not verify with any trusted key")
	ErrPayload   = errors.New("bundle: payload does not match its manifest")
)

// Manifest describes a bundle; it is signed.
type Manifest struct {
	Format  int       `json:"format"`  // FormatVersion
	Version string    `json:"version"` // e.g. "v1.4.0"; see Compare
	Model   string    `json:"model"`   // device model, e.g. "qrstand-pi"
	Arch    string    `json:"arch"`    // "arm64", "armv7", "armv6", "amd64"
	SHA256  string    `json:"sha256"`  // of the payload, lower-case hex
	Size    int64     `json:"size"`    // of the payload
	Created time.Time `json:"created"`
	Notes   string    `json:"notes,omitempty"`
}

// Validate checks the manifest's own fields.
func (m Manifest) Validate() error {
	var errs []string
	if m.Format != FormatVersion {
		errs = append(errs, fmt.Sprintf("format %d (want %d)", m.Format, FormatVersion))
	}
	if _, ok := ParseVersion(m.Version); !ok {
		errs = append(errs, fmt.Sprintf("version %q is not vMAJOR.MINOR.PATCH", truncate(m.Version)))
	}
	if !token(m.Model) || !token(m.Arch) {
		errs = append(errs, "model and arch must be 1..32 of [a-z0-9-]")
	}
	if b, err := hex.DecodeString(m.SHA256); err != nil || len(b) != sha256.Size || strings.ToLower(m.SHA256) != m.SHA256 {
		errs = append(errs, "sha256 must be 64 lower-case hex digits")
	}
	if m.Size <= 0 || m.Size > MaxPayload {
		errs = append(errs, fmt.Sprintf("size must be 1..%d", MaxPayload))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: manifest: %s", ErrFormat, strings.Join(errs, "; "))
	}
	return nil
}

func token(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// Write signs m with key and writes the bundle for payload to w. It fills
// m.Format, m.SHA256 and m.Size from the payload.
func Write(w io.Writer, m Manifest, payload []byte, key ed25519.PrivateKey) error {
	if len(key) != ed25519.PrivateKeySize {
		return errors.New("bundle: signing key is not an ed25519 private key")
	}
	sum := sha256.Sum256(payload)
	m.Format, m.SHA256, m.Size = FormatVersion, hex.EncodeToString(sum[:]), int64(len(payload))
	if m.Created.IsZero() {
		m.Created = time.Now().UTC()
	}
	if err := m.Validate(); err != nil {
		return err
	}
	raw, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	sig := base64.StdEncoding.EncodeToString(ed25519.Sign(key, raw))
	tw := tar.NewWriter(w)
	for _, e := range []struct {
		name string
		mode int64
		data []byte
	}{{ManifestName, 0o644, raw}, {SignatureName, 0o644, []byte(sig)}, {PayloadName, 0o755, payload}} {
		hdr := &tar.Header{Name: e.name, Mode: e.mode, Size: int64(len(e.data)), ModTime: m.Created, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("bundle: %w", err)
		}
		if _, err := tw.Write(e.data); err != nil {
			return fmt.Errorf("bundle: %w", err)
		}
	}
	return tw.Close()
}

// Read verifies a bundle from r against the trusted keys and copies its
// payload to payload, returning the signed manifest. Nothing is written to
// payload before the signature verified; on an error the caller discards
// whatever was written (a payload that does not match its manifest is only
// known at its end). Read never panics on hostile input.
func Read(r io.Reader, keys []ed25519.PublicKey, payload io.Writer) (Manifest, error) {
	var m Manifest
	if len(keys) == 0 {
		return m, fmt.Errorf("%w: no trusted keys configured", ErrSignature)
	}
	tr := tar.NewReader(r)
	raw, err := entry(tr, ManifestName, maxManifest)
	if err != nil {
		return m, err
	}
	sigText, err := entry(tr, SignatureName, maxSig)
	if err != nil {
		return m, err
	}
	sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(sigText)))
	if err != nil || len(sig) != ed25519.SignatureSize {
		return m, fmt.Errorf("%w: %s is not a base64 ed25519 signature", ErrFormat, SignatureName)
	}
	ok := false
	for _, k := range keys {
		if len(k) == ed25519.PublicKeySize && ed25519.Verify(k, raw, sig) {
			ok = true
			break
		}
	}
	if !ok {
		return m, ErrSignature
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return Manifest{}, fmt.Errorf("%w: %s: %v", ErrFormat, ManifestName, err)
	}
	if err := m.Validate(); err != nil {
		return Manifest{}, err
	}
	hdr, err := tr.Next()
	if err != nil {
		return m, fmt.Errorf("%w: no %s entry: %v", ErrFormat, PayloadName, err)
	}
	if hdr.Name != PayloadName || hdr.Typeflag != tar.TypeReg {
		return m, fmt.Errorf("%w: entry %q where %s belongs", ErrFormat, truncate(hdr.Name), PayloadName)
	}
	if hdr.Size != m.Size {
		return m, fmt.Errorf("%w: payload is %d bytes, manifest says %d", ErrPayload, hdr.Size, m.Size)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(h, payload), io.LimitReader(tr, m.Size))
	if err != nil {
		return m, fmt.Errorf("%w: payload: %v", ErrPayload, err)
	}
	if n != m.Size {
		return m, fmt.Errorf("%w: payload cut short at %d of %d bytes", ErrPayload, n, m.Size)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != m.SHA256 {
		return m, fmt.Errorf("%w: sha256 %s, manifest says %s", ErrPayload, got, m.SHA256)
	}
	if _, err := tr.Next(); err != io.EOF {
		return m, fmt.Errorf("%w: unexpected data after %s", ErrFormat, PayloadName)
	}
	return m, nil
}

func entry(tr *tar.Reader, name string, max int64) ([]byte, error) {
	hdr, err := tr.Next()
	if err != nil {
		return nil, fmt.Errorf("%w: no %s entry: %v", ErrFormat, name, err)
	}
	if hdr.Name != name || hdr.Typeflag != tar.TypeReg {
		return nil, fmt.Errorf("%w: entry %q where %s belongs", ErrFormat, truncate(hdr.Name), name)
	}
	if hdr.Size < 0 || hdr.Size > max {
		return nil, fmt.Errorf("%w: %s is %d bytes (at most %d)", ErrFormat, name, hdr.Size, max)
	}
	b, err := io.ReadAll(io.LimitReader(tr, hdr.Size))
	if err != nil || int64(len(b)) != hdr.Size {
		return nil, fmt.Errorf("%w: %s cut short", ErrFormat, name)
	}
	return b, nil
}
