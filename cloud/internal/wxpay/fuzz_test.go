package wxpay

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

// FuzzParseNotifySigned feeds arbitrary bodies that carry a valid platform
// signature, so the fuzzer reaches what the SDK does after verification
// (JSON decoding, AES-GCM with attacker-chosen nonce and ciphertext, the
// resource model). ParseNotify must answer with a typed error, never panic
// out, and never report a bad signature for a well-signed body.
func FuzzParseNotifySigned(f *testing.F) {
	_, pk := testKeys(f)
	cfg := validConfig(f)
	cfg.PlatformPublicKey = &pk.PublicKey
	c, err := New(cfg)
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(`{"id":"1","event_type":"TRANSACTION.SUCCESS","resource":{"algorithm":"AEAD_AES_256_GCM","nonce":"123456789012","ciphertext":"AAAA","associated_data":"transaction"}}`))
	f.Add([]byte(`{"id":"1","event_type":"TRANSACTION.SUCCESS","resource":{"algorithm":"AEAD_AES_256_GCM","nonce":"1234567890123","ciphertext":"AAAAAAAAAAAAAAAAAAAAAA=="}}`))
	f.Add([]byte(`{"resource":null}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		h := sha256.Sum256([]byte(ts + "\nNONCE\n" + string(body) + "\n"))
		sig, err := rsa.SignPKCS1v15(rand.Reader, pk, crypto.SHA256, h[:])
		if err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest(http.MethodPost, "/wxpay/notify", bytes.NewReader(body))
		r.Header.Set("Wechatpay-Serial", cfg.PlatformPublicKeyID)
		r.Header.Set("Wechatpay-Timestamp", ts)
		r.Header.Set("Wechatpay-Nonce", "NONCE")
		r.Header.Set("Wechatpay-Signature", base64.StdEncoding.EncodeToString(sig))
		_, err = c.ParseNotify(r)
		if err == nil {
			return // a body that decrypts under the APIv3 key: fine
		}
		if errorsIsAny(err, ErrBadSignature) && len(body) <= maxNotifyBody {
			t.Fatalf("well-signed body reported as bad signature: %v", err)
		}
		if !errorsIsAny(err, ErrBadNotify, ErrBadSignature) {
			t.Fatalf("untyped error: %v", err)
		}
	})
}
