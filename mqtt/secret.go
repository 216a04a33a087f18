package mqtt

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// Stand secrets are 256-bit random tokens, so a single SHA-256 is the right
// stored form: there is no low-entropy password to stretch, and a broker that
// checks thousands of reconnects after an outage must not spend 100 ms each.

const secretHashPrefix = "sha256:"

// NewSecret returns a fresh random stand secret (43 URL-safe characters).
func NewSecret() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("mqtt: crypto/rand failed: " + err.Error()) // never happens on Linux
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// HashSecret returns the stored form of a secret.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return secretHashPrefix + hex.EncodeToString(sum[:])
}

// CheckSecret reports, in constant time, whether secret matches the stored
// hash. An empty or malformed hash never matches.
func CheckSecret(hash, secret string) bool {
	if !strings.HasPrefix(hash, secretHashPrefix) || secret == "" {
		return false
	}
	want := HashSecret(secret)
	return subtle.ConstantTimeCompare([]byte(hash), []byte(want)) == 1
}
