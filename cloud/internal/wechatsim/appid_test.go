package wechatsim

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestPrepayAppIDs: a prepay's sp_appid must be an AppID bound to the
// partner account, and a payer openid issued under another AppID is
// refused; an openid the OAuth side never issued passes.
func TestPrepayAppIDs(t *testing.T) {
	mk, pk := keys(t)
	s := &Server{
		Merchants: []Merchant{{MchID: "1900000100", Name: "服务商", SerialNo: "SERIAL1", PublicKey: &mk.PublicKey,
			APIv3Key: "0123456789abcdefghijklmnopqrstuv", AppIDs: []string{"wx1"}}},
		PlatformKey: pk,
		PayerAppID: func(openid string) (string, bool) {
			app, ok := map[string]string{"o-of-wx1": "wx1", "o-of-wx2": "wx2"}[openid]
			return app, ok
		},
	}
	srv := httptest.NewServer(s)
	t.Cleanup(func() { s.Close(); srv.Close() })
	for i, tc := range []struct {
		appID, openid string
		wantErr       string // "" for 200
	}{
		{"wx1", "o-of-wx1", ""},
		{"wx1", "o-made-up", ""},
		{"wx2", "o-of-wx2", "sp_appid与sp_mchid不匹配"},
		{"wx1", "o-of-wx2", "sp_openid与sp_appid不匹配"},
	} {
		b, _ := json.Marshal(map[string]any{
			"sp_appid": tc.appID, "sp_mchid": "1900000100", "sub_mchid": "1900000109", "description": "面",
			"out_trade_no": fmt.Sprintf("QRS-APP-%04d", i), "notify_url": "https://x.example/n",
			"amount": map[string]any{"total": 100}, "payer": map[string]any{"sp_openid": tc.openid},
		})
		status, body, h := do(t, srv, "POST", "/v3/pay/partner/transactions/jsapi", string(b), true)
		if tc.wantErr == "" && status != 200 || tc.wantErr != "" && (status != 400 || !strings.Contains(body, tc.wantErr)) {
			t.Errorf("sp_appid %s, payer %s: %d %s; want error %q", tc.appID, tc.openid, status, body, tc.wantErr)
		}
		verifyResponse(t, h, body)
	}
}
