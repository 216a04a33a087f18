package wechatsim

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"math/big"
)

// SignTestPrefix starts the deliberately wrong signatures WeChat sends to
// probe that a merchant really verifies them.
const SignTestPrefix = "WECHATPAY/SIGNTEST/"

const nonceSymbols = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

// nonce returns n random characters of [0-9a-zA-Z].
func nonce(n int) string {
	b := make([]byte, n)
	max := big.NewInt(int64(len(nonceSymbols)))
	for i := range b {
		v, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic(fmt.Sprintf("wechatsim: random: %v", err))
		}
		b[i] = nonceSymbols[v.Int64()]
	}
	return string(b)
}

// signMessage signs msg with SHA256-RSA (PKCS #1 v1.5), base64 encoded, as
// WeChat Pay API v3 does for responses, notifies and requests.
func signMessage(key *rsa.PrivateKey, msg string) string {
	h := sha256.Sum256([]byte(msg))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, h[:])
	if err != nil {
		panic(fmt.Sprintf("wechatsim: sign: %v", err))
	}
	return base64.StdEncoding.EncodeToString(sig)
}

func verifyMessage(key *rsa.PublicKey, msg, sig string) error {
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return fmt.Errorf("signature is not base64: %w", err)
	}
	h := sha256.Sum256([]byte(msg))
	return rsa.VerifyPKCS1v15(key, crypto.SHA256, h[:], raw)
}

// signTestSignature is a well-formed but wrong signature in WeChat's probe
// form.
func signTestSignature() string {
	junk := make([]byte, 256)
	_, _ = rand.Read(junk)
	return SignTestPrefix + base64.StdEncoding.EncodeToString(junk)
}
