// Package secretbox seals small secrets (WeChat partner credentials) at rest
// with AES-256-GCM under a key from the service configuration. Sealed values
// are base64 text: a 12-byte random nonce followed by the ciphertext and tag.
package secretbox
