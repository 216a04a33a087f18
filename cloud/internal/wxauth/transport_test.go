package wxauth

import (
	"net/url"
	"testing"
)

func TestRouteLookup(t *testing.T) {
	sim, _ := url.Parse("http://127.0.0.1:1/_sim/wx")
	pay, _ := url.Parse("http://127.0.0.1:2")
	o, err := NewSandbox("wxlookup", "s", sim.String())
	if err != nil {
		t.Fatal(err)
	}
	remove := RouteSandbox("wxlookup", "/cgi-bin/", pay)
	for _, tc := range []struct {
		appid, path string
		want        *url.URL
	}{
		{"wxlookup", "/sns/oauth2/access_token", sim},
		{"wxlookup", "/cgi-bin/token", pay},
		{"wxlookup", "/other", nil},
		{"wxreal", "/sns/oauth2/access_token", nil},
	} {
		got, ok := lookup(tc.appid, tc.path)
		if (tc.want == nil) != !ok || (ok && got.String() != tc.want.String()) {
			t.Errorf("lookup(%s, %s) = %v, %v; want %v", tc.appid, tc.path, got, ok, tc.want)
		}
	}
	remove()
	o.Close()
	if _, ok := lookup("wxlookup", "/sns/oauth2/access_token"); ok {
		t.Error("route survives Close")
	}
}
