package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
)

// KeySize is the key length in bytes (AES-256).
const KeySize = 32

// Errors callers branch on.
var (
	ErrKeySize = errors.New("secretbox: key must be 32 bytes")
	ErrOpen    = errors.New("secretbox: cannot open sealed value")
)

// Box seals and opens values under one key. It is safe for concurrent use.
type Box struct {
	aead    cipher.AEAD
	signing []byte // the root of Sign's keys, derived from the key
}

// New returns a Box for a 32-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, ErrKeySize
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secretbox: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secretbox: %w", err)
	}
	return &Box{aead: aead, signing: mac([]byte("qrstand secretbox: signing keys v1"), key)}, nil
}

// ParseKey decodes a base64 (standard or URL) 32-byte key.
func ParseKey(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil {
			if len(k) != KeySize {
				return nil, ErrKeySize
			}
			return k, nil
		}
	}
	return nil, errors.New("secretbox: key is not base64")
}

// Seal encrypts plaintext; additional binds the value to its owner (for
// example the provider id) so a sealed value cannot be moved to another row.
func (b *Box) Seal(plaintext, additional []byte) string {
	nonce := make([]byte, b.aead.NonceSize())
	rand.Read(nonce) // never fails (Go 1.24+)
	out := b.aead.Seal(nonce, nonce, plaintext, additional)
	return base64.StdEncoding.EncodeToString(out)
}

// Open decrypts a value produced by Seal with the same additional data.
func (b *Box) Open(sealed string, additional []byte) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrOpen, err)
	}
	ns := b.aead.NonceSize()
	if len(raw) < ns+b.aead.Overhead() {
		return nil, fmt.Errorf("%w: too short", ErrOpen)
	}
	pt, err := b.aead.Open(nil, raw[:ns], raw[ns:], additional)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrOpen, err)
	}
	return pt, nil
}

// Sign returns a MAC (HMAC-SHA256) of msg under a key derived from b's key
// for purpose. Every cloud node configured with the same key makes the same
// MAC, a MAC made for one purpose says nothing under another, and no MAC
// tells anything about the sealing key. Compare MACs with hmac.Equal.
func (b *Box) Sign(purpose string, msg []byte) []byte {
	return mac(msg, mac([]byte(purpose), b.signing))
}

func mac(msg, key []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}
