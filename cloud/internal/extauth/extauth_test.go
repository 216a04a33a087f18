package extauth_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/extauth"
	"github.com/qrstand/qrstand/mqtt"
)

const (
	token    = "emqx-shared-token"
	confPath = "../../deploy/emqx/emqx.conf"
)

// templates reads the documented EMQX body templates (key = "${ph}") that
// follow the marker comments in the shipped config.
func templates(t *testing.T) (authn, authz map[string]string) {
	t.Helper()
	f, err := os.Open(confPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	line := regexp.MustCompile(`^\s*(\w+) = "(\$\{\w+\})"\s*$`)
	var cur map[string]string
	authn, authz = map[string]string{}, map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		s := sc.Text()
		switch {
		case strings.Contains(s, "# authn body template"):
			cur = authn
		case strings.Contains(s, "# authz body template"):
			cur = authz
		case cur != nil && strings.TrimSpace(s) == "}":
			cur = nil
		case cur != nil:
			if m := line.FindStringSubmatch(s); m != nil {
				cur[m[1]] = m[2]
			}
		}
	}
	if len(authn) == 0 || len(authz) == 0 {
		t.Fatalf("%s: body templates not found", confPath)
	}
	return authn, authz
}

// render does what EMQX does with a body template: every placeholder
// becomes the client's value as a JSON string.
func render(tmpl map[string]string, vals map[string]string) string {
	out := map[string]string{}
	for k, ph := range tmpl {
		out[k] = vals[strings.Trim(ph, "${}")]
	}
	b, _ := json.Marshal(out)
	return string(b)
}

type stands map[string]string

func (s stands) lookup(_ context.Context, id string) (string, error) {
	h, ok := s[id]
	if !ok {
		return "", errors.New("not found")
	}
	return h, nil
}

func newHandler(t testing.TB, lookup extauth.StandLookup) *extauth.Handler {
	t.Helper()
	h, err := extauth.New(extauth.Config{Stands: lookup, ServiceUser: "qrstand_cloud", ServiceSecretHash: mqtt.HashSecret("cloud-pw"),
		Token: token, Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func call(t *testing.T, hf http.HandlerFunc, auth, body string) (int, map[string]any) {
	t.Helper()
	r := httptest.NewRequest("POST", "/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	w := httptest.NewRecorder()
	hf(w, r)
	if w.Code != http.StatusOK {
		return w.Code, nil
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("content-type %q, EMQX requires application/json", ct)
	}
	var got map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatalf("answer %q: %v", w.Body.String(), err)
	}
	return w.Code, got
}

func TestAuthenticate(t *testing.T) {
	authnT, _ := templates(t)
	st := stands{"stand-aaaa": mqtt.HashSecret("secret-a")}
	h := newHandler(t, st.lookup)
	for _, tc := range []struct {
		name                 string
		client, user, passwd string
		want                 extauth.Result
	}{
		{"stand", "stand-aaaa", "stand-aaaa", "secret-a", extauth.Allow},
		{"stand bad secret", "stand-aaaa", "stand-aaaa", "secret-b", extauth.Deny},
		{"stand empty secret", "stand-aaaa", "stand-aaaa", "", extauth.Deny},
		{"unknown stand", "stand-zzzz", "stand-zzzz", "secret-a", extauth.Deny},
		{"client id not username", "stand-bbbb", "stand-aaaa", "secret-a", extauth.Deny},
		{"invalid id", "Stand/A", "Stand/A", "secret-a", extauth.Deny},
		{"service node", "qrstand_cloud-node1", "qrstand_cloud", "cloud-pw", extauth.Allow},
		{"service bad secret", "qrstand_cloud-node1", "qrstand_cloud", "nope", extauth.Deny},
		{"service foreign client id", "stand-aaaa", "qrstand_cloud", "cloud-pw", extauth.Deny},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := render(authnT, map[string]string{"clientid": tc.client, "username": tc.user, "password": tc.passwd, "peerhost": "10.0.0.7"})
			code, got := call(t, h.Authenticate, "Bearer "+token, body)
			if code != 200 || got["result"] != string(tc.want) || got["is_superuser"] != false {
				t.Errorf("got %d %v, want 200 result=%s is_superuser=false", code, got, tc.want)
			}
		})
	}
}

func TestAuthorize(t *testing.T) {
	_, authzT := templates(t)
	h := newHandler(t, stands{}.lookup)
	for _, tc := range []struct {
		client, user, action, topic string
		want                        extauth.Result
	}{
		{"stand-aaaa", "stand-aaaa", "publish", mqtt.UpTopic("stand-aaaa"), extauth.Allow},
		{"stand-aaaa", "stand-aaaa", "publish", mqtt.StateTopic("stand-aaaa"), extauth.Allow}, // its will
		{"stand-aaaa", "stand-aaaa", "publish", mqtt.StateTopic("stand-bbbb"), extauth.Deny},  // a forged will
		{"stand-aaaa", "stand-aaaa", "publish", mqtt.UpTopic("stand-bbbb"), extauth.Deny},
		{"stand-aaaa", "stand-aaaa", "publish", mqtt.DownTopic("stand-aaaa"), extauth.Deny},
		{"stand-aaaa", "stand-aaaa", "subscribe", mqtt.DownTopic("stand-aaaa"), extauth.Allow},
		{"stand-aaaa", "stand-aaaa", "subscribe", mqtt.ConfigTopic("stand-aaaa"), extauth.Allow},
		{"stand-aaaa", "stand-aaaa", "subscribe", mqtt.DownTopic("stand-bbbb"), extauth.Deny},
		{"stand-aaaa", "stand-aaaa", "subscribe", "qrs/v1/d/+/down", extauth.Deny},
		{"stand-aaaa", "stand-aaaa", "subscribe", "#", extauth.Deny},
		{"stand-aaaa", "stand-aaaa", "subscribe", "$share/g/qrs/v1/d/+/up", extauth.Deny},
		{"stand-bbbb", "stand-aaaa", "publish", mqtt.UpTopic("stand-aaaa"), extauth.Deny},
		{"qrstand_cloud-n1", "qrstand_cloud", "subscribe", "$share/qrstand/qrs/v1/d/+/up", extauth.Allow},
		{"qrstand_cloud-n1", "qrstand_cloud", "subscribe", "qrs/v1/d/+/state", extauth.Allow},
		{"qrstand_cloud-n1", "qrstand_cloud", "subscribe", "#", extauth.Deny},
		{"qrstand_cloud-n1", "qrstand_cloud", "publish", mqtt.DownTopic("stand-aaaa"), extauth.Allow},
		{"qrstand_cloud-n1", "qrstand_cloud", "publish", mqtt.UpTopic("stand-aaaa"), extauth.Deny}, // forged ack
	} {
		t.Run(tc.user+" "+tc.action+" "+tc.topic, func(t *testing.T) {
			body := render(authzT, map[string]string{"clientid": tc.client, "username": tc.user, "action": tc.action, "topic": tc.topic, "qos": "1", "retain": "false"})
			code, got := call(t, h.Authorize, "Bearer "+token, body)
			if code != 200 || got["result"] != string(tc.want) {
				t.Errorf("got %d %v, want 200 result=%s", code, got, tc.want)
			}
		})
	}
}

func TestMalformedDenied(t *testing.T) {
	h := newHandler(t, stands{"stand-aaaa": mqtt.HashSecret("secret-a")}.lookup)
	for _, body := range []string{
		``, `{`, `null`, `[]`, `"allow"`,
		`{"clientid":"stand-aaaa","username":"stand-aaaa","password":"secret-a","extra":1}`,
		`{"clientid":"stand-aaaa","username":"stand-aaaa","password":"secret-a"} {}`,
		`{"clientid":1,"username":"stand-aaaa","password":"secret-a"}`,
		`{"username":"stand-aaaa","password":"secret-a"}`,
		`{"clientid":"stand-aaaa","username":"stand-aaaa","password":"` + strings.Repeat("x", 9000) + `"}`,
	} {
		if code, got := call(t, h.Authenticate, "Bearer "+token, body); code != 200 || got["result"] != "deny" {
			t.Errorf("authn %.60q: got %d %v, want 200 deny", body, code, got)
		}
	}
	for _, body := range []string{
		`{}`, `{"clientid":"stand-aaaa","username":"stand-aaaa","action":"all","topic":"qrs/v1/d/stand-aaaa/up"}`,
		`{"clientid":"stand-aaaa","username":"stand-aaaa","action":"publish"}`,
		`{"clientid":"stand-aaaa","username":"stand-aaaa","action":"publish","topic":"qrs/v1/d/stand-aaaa/up","qos":1}`,
	} {
		if code, got := call(t, h.Authorize, "Bearer "+token, body); code != 200 || got["result"] != "deny" {
			t.Errorf("authz %.60q: got %d %v, want 200 deny", body, code, got)
		}
	}
}

func TestTokenRequired(t *testing.T) {
	h := newHandler(t, stands{"stand-aaaa": mqtt.HashSecret("secret-a")}.lookup)
	body := `{"clientid":"stand-aaaa","username":"stand-aaaa","password":"secret-a","peerhost":""}`
	for _, auth := range []string{"", "Bearer wrong", token, "Basic " + token} {
		if code, _ := call(t, h.Authenticate, auth, body); code != http.StatusUnauthorized {
			t.Errorf("Authorization %q: status %d, want 401", auth, code)
		}
	}
	if code, got := call(t, h.Authenticate, "Bearer "+token, body); code != 200 || got["result"] != "allow" {
		t.Fatalf("with the token: %d %v", code, got)
	}
}

func TestBackendFailureDenied(t *testing.T) {
	body := `{"clientid":"stand-aaaa","username":"stand-aaaa","password":"secret-a","peerhost":""}`
	t.Run("error", func(t *testing.T) {
		h := newHandler(t, func(context.Context, string) (string, error) { return "", errors.New("connection refused") })
		if _, got := call(t, h.Authenticate, "Bearer "+token, body); got["result"] != "deny" {
			t.Errorf("got %v, want deny", got)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		// A database that never answers and ignores its context: the
		// handler must still answer deny (within its 50 ms Timeout, well
		// inside EMQX's request_timeout).
		release := make(chan struct{})
		defer close(release)
		h := newHandler(t, func(context.Context, string) (string, error) {
			<-release
			return mqtt.HashSecret("secret-a"), nil
		})
		if _, got := call(t, h.Authenticate, "Bearer "+token, body); got["result"] != "deny" {
			t.Errorf("got %v, want deny", got)
		}
	})
}

func TestServedOverHTTP(t *testing.T) {
	// The real HTTP path EMQX takes: POST with the documented headers.
	authnT, _ := templates(t)
	h := newHandler(t, stands{"stand-aaaa": mqtt.HashSecret("secret-a")}.lookup)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /mqtt/emqx/authn", h.Authenticate)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	req, _ := http.NewRequest("POST", srv.URL+"/mqtt/emqx/authn",
		strings.NewReader(render(authnT, map[string]string{"clientid": "stand-aaaa", "username": "stand-aaaa", "password": "secret-a"})))
	req.Header.Set("content-type", "application/json")
	req.Header.Set("authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"result":"allow"`) {
		t.Fatalf("got %d %s", resp.StatusCode, b)
	}
}
