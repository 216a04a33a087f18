package extauth_test

import (
	"bytes"
	"testing"

	"github.com/qrstand/qrstand/cloud/internal/extauth"
)

// FuzzDecode: no body makes the decoders panic, and whatever they accept
// has the fields a decision needs.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"clientid":"stand-aaaa","username":"stand-aaaa","password":"x","peerhost":"1.2.3.4"}`))
	f.Add([]byte(`{"clientid":"a","username":"a","action":"publish","topic":"t","qos":"1","retain":"false"}`))
	f.Add([]byte(`{"clientid":"\u0000","username":"` + "\xff" + `"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if r, err := extauth.DecodeAuthn(bytes.NewReader(b)); err == nil && (r.ClientID == "" || r.Username == "") {
			t.Fatalf("accepted %q without ids", b)
		}
		if r, err := extauth.DecodeAuthz(bytes.NewReader(b)); err == nil && (r.Topic == "" || (r.Action != "publish" && r.Action != "subscribe")) {
			t.Fatalf("accepted %q: %+v", b, r)
		}
	})
}
