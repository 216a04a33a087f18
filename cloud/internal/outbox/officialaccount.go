package outbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// OfficialAccount sends template messages through the WeChat official
// account API (or the simulator's /cgi-bin/ in sandbox mode).
type OfficialAccount struct {
	// BaseURL is "https://api.weixin.qq.com" in production; the cloud's own
	// base URL in sandbox mode.
	BaseURL       string
	AppID, Secret string
	// HTTPClient defaults to one with a 10 s timeout.
	HTTPClient *http.Client

	mu      sync.Mutex
	token   string
	expires time.Time
}

type wxResult struct {
	ErrCode     int    `json:"errcode"`
	ErrMsg      string `json:"errmsg"`
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
}

func (o *OfficialAccount) httpClient() *http.Client {
	if o.HTTPClient != nil {
		return o.HTTPClient
	}
	return &http.Client{Timeout: 10 * time.Second}
}

func (o *OfficialAccount) call(ctx context.Context, method, path string, body []byte) (wxResult, error) {
	var r wxResult
	req, err := http.NewRequestWithContext(ctx, method, o.BaseURL+path, bytes.NewReader(body))
	if err != nil {
		return r, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := o.httpClient().Do(req)
	if err != nil {
		return r, fmt.Errorf("outbox: official account: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return r, err
	}
	if resp.StatusCode != http.StatusOK {
		return r, fmt.Errorf("outbox: official account: HTTP %d", resp.StatusCode)
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("outbox: official account: %w", err)
	}
	return r, nil
}

func (o *OfficialAccount) accessToken(ctx context.Context, fresh bool) (string, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !fresh && o.token != "" && time.Now().Before(o.expires) {
		return o.token, nil
	}
	q := url.Values{"grant_type": {"client_credential"}, "appid": {o.AppID}, "secret": {o.Secret}}
	r, err := o.call(ctx, http.MethodGet, "/cgi-bin/token?"+q.Encode(), nil)
	if err != nil {
		return "", err
	}
	if r.ErrCode != 0 || r.AccessToken == "" {
		return "", fmt.Errorf("outbox: access token: %d %s", r.ErrCode, r.ErrMsg)
	}
	o.token, o.expires = r.AccessToken, time.Now().Add(time.Duration(r.ExpiresIn)*time.Second-5*time.Minute)
	return o.token, nil
}

// SendTemplate implements TemplateSender.
func (o *OfficialAccount) SendTemplate(ctx context.Context, payload []byte) error {
	for attempt := 0; attempt < 2; attempt++ {
		tok, err := o.accessToken(ctx, attempt > 0)
		if err != nil {
			return err
		}
		r, err := o.call(ctx, http.MethodPost, "/cgi-bin/message/template/send?access_token="+url.QueryEscape(tok), payload)
		if err != nil {
			return err
		}
		switch r.ErrCode {
		case 0:
			return nil
		case 40001, 40014, 42001: // token invalid or expired: once more with a new one
			continue
		case 40003, 43004, 40037: // bad openid, unfollowed, bad template
			return fmt.Errorf("%w: %d %s", ErrPermanent, r.ErrCode, r.ErrMsg)
		default:
			return fmt.Errorf("outbox: template send: %d %s", r.ErrCode, r.ErrMsg)
		}
	}
	return fmt.Errorf("outbox: template send: access token rejected twice")
}
