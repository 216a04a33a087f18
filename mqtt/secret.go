package mqtt

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"
)

// Stand secrets are 130-bit random tokens, so a single SHA-256 is the right
// stored form: there is no low-entropy password to stretch, and a broker that
// checks thousands of reconnects after an outage must not spend 100 ms each.

const secretHashPrefix = "sha256:"

// NewSecret returns a fresh random stand secret: crypto/rand.Text, 26
// base32 characters carrying 130 bits.
func NewSecret() string { return rand.Text() }

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
