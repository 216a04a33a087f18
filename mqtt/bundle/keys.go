package bundle

import (
	"bufio"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

// ParseKeys reads an update-keys file: base64 ed25519 public keys, one a
// line; blank lines and lines starting with '#' are ignored.
func ParseKeys(r io.Reader) ([]ed25519.PublicKey, error) {
	var keys []ed25519.PublicKey
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(line)
		if err != nil || len(b) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("bundle: keys line %d: not a base64 ed25519 public key", n)
		}
		keys = append(keys, ed25519.PublicKey(b))
	}
	return keys, sc.Err()
}

// ReadKeysFile reads an update-keys file; a missing file is no keys.
func ReadKeysFile(path string) ([]ed25519.PublicKey, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	defer f.Close()
	keys, err := ParseKeys(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return keys, nil
}

// EncodePublicKey is a public key's line in an update-keys file.
func EncodePublicKey(k ed25519.PublicKey) string { return base64.StdEncoding.EncodeToString(k) }
