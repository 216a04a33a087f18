package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/brokerctl"
	"github.com/qrstand/qrstand/mqtt"
)

// With broker kind emqx the node serves EMQX's auth endpoints against its
// own stands, behind the bearer token; the stand credentials hook is a
// no-op (EMQX asks on every CONNECT).
func TestEMQXEndpointsWired(t *testing.T) {
	token := strings.Repeat("t", 40)
	cfg := Config{DataDir: t.TempDir(), Sandbox: true, SecretKey: base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32)),
		BrokerKind: BrokerEMQX, BrokerURL: "tcp://127.0.0.1:1883", BrokerPassword: "cloud-pw", BrokerAuthToken: token, NodeID: "node-1"}
	s, err := New(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, ok := s.StandCredentials().(brokerctl.Nop); !ok {
		t.Errorf("StandCredentials = %T, want Nop", s.StandCredentials())
	}
	secret := mqtt.NewSecret()
	if _, err := s.Storage().RegisterStand(context.Background(), "qrs-emqx-0001", secret, time.Now()); err != nil {
		t.Fatal(err)
	}
	call := func(path, auth string, body any) (int, string) {
		b, _ := json.Marshal(body)
		r := httptest.NewRequest("POST", path, bytes.NewReader(b))
		r.Header.Set("Authorization", auth)
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, r)
		return w.Code, w.Body.String()
	}
	authn := map[string]string{"clientid": "qrs-emqx-0001", "username": "qrs-emqx-0001", "password": secret, "peerhost": "10.0.0.1"}
	if code, body := call("/mqtt/emqx/authn", "Bearer "+token, authn); code != 200 || !strings.Contains(body, `"result":"allow"`) {
		t.Errorf("registered stand: %d %s", code, body)
	}
	authn["password"] = "wrong"
	if code, body := call("/mqtt/emqx/authn", "Bearer "+token, authn); code != 200 || !strings.Contains(body, `"result":"deny"`) {
		t.Errorf("wrong secret: %d %s", code, body)
	}
	unknown := map[string]string{"clientid": "qrs-emqx-9999", "username": "qrs-emqx-9999", "password": secret, "peerhost": ""}
	if code, body := call("/mqtt/emqx/authn", "Bearer "+token, unknown); code != 200 || !strings.Contains(body, `"result":"deny"`) {
		t.Errorf("unknown stand: %d %s", code, body)
	}
	cloud := map[string]string{"clientid": "qrstand_cloud-node-1", "username": "qrstand_cloud", "password": "cloud-pw", "peerhost": ""}
	if code, body := call("/mqtt/emqx/authn", "Bearer "+token, cloud); code != 200 || !strings.Contains(body, `"result":"allow"`) {
		t.Errorf("cloud node: %d %s", code, body)
	}
	authz := map[string]string{"clientid": "qrs-emqx-0001", "username": "qrs-emqx-0001", "action": "publish", "topic": mqtt.StateTopic("qrs-emqx-0002"), "qos": "1", "retain": "true"}
	if code, body := call("/mqtt/emqx/authz", "Bearer "+token, authz); code != 200 || !strings.Contains(body, `"result":"deny"`) {
		t.Errorf("forged will: %d %s", code, body)
	}
	if code, _ := call("/mqtt/emqx/authn", "", authn); code != http.StatusUnauthorized {
		t.Errorf("without the token: %d, want 401", code)
	}
}
