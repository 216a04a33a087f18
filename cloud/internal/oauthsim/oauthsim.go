package oauthsim

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"
)

// Sim is the simulator. Its zero value is not usable; call New.
type Sim struct {
	AppID, AppSecret string
	// Accounts, when set, names the other official accounts the simulator
	// plays (each service provider's own): it returns appID's AppSecret.
	// Each AppID gives the same person another openid, as WeChat does.
	Accounts func(appID string) (secret string, ok bool)
	Log      *slog.Logger
	Now      func() time.Time

	mu     sync.Mutex
	users  map[string]User // by nickname
	codes  map[string]grant
	issued map[string]string // openid -> the AppID it was issued under
}

// User is a simulated WeChat user.
type User struct {
	Nickname string
	OpenID   string
	Snapshot bool // a 快照页 virtual user, which real apps must reject
}

type grant struct {
	appID    string // a code is exchanged only by the AppID it was issued for
	openid   string
	snapshot bool
	expires  time.Time
}

// New returns a simulator for one official account.
func New(appID, appSecret string, log *slog.Logger) *Sim {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Sim{AppID: appID, AppSecret: appSecret, Log: log, Now: time.Now, users: map[string]User{}, codes: map[string]grant{},
		issued: map[string]string{}}
}

// OpenID is the openid the simulator gives a nickname under its own
// AppID: stable across restarts so dev sessions and staff roles survive.
func (s *Sim) OpenID(nickname string) string { return s.OpenIDUnder(s.AppID, nickname) }

// OpenIDUnder is the openid of nickname under the official account appID.
func (s *Sim) OpenIDUnder(appID, nickname string) string {
	h := sha256.Sum256([]byte(appID + "\x00" + nickname))
	return "oSIM" + hex.EncodeToString(h[:12])
}

// secret is appID's AppSecret, if the simulator plays that account.
func (s *Sim) secret(appID string) (string, bool) {
	if appID == "" {
		return "", false
	}
	if appID == s.AppID {
		return s.AppSecret, true
	}
	if s.Accounts != nil {
		return s.Accounts(appID)
	}
	return "", false
}

// IssuedUnder reports the AppID under which the simulator handed out
// openid, if it did: WeChat Pay's simulator refuses a payer's openid that
// belongs to another AppID than the order's sp_appid.
func (s *Sim) IssuedUnder(openid string) (appID string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	appID, ok = s.issued[openid]
	return appID, ok
}

// Users lists the users created so far, by nickname.
func (s *Sim) Users() []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]User, 0, len(s.users))
	for _, u := range s.users {
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Nickname < out[j].Nickname })
	return out
}

// Handler serves /connect/oauth2/authorize and /sns/oauth2/access_token.
func (s *Sim) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /connect/oauth2/authorize", s.authorizeGet)
	mux.HandleFunc("POST /connect/oauth2/authorize", s.authorizePost)
	mux.HandleFunc("GET /sns/oauth2/access_token", s.accessToken)
	return mux
}

// ValidState reports whether WeChat takes state as given: the authorize
// page's state parameter is "a-zA-Z0-9的参数值，最多128字节".
func ValidState(state string) bool {
	if len(state) > 128 {
		return false
	}
	for _, c := range []byte(state) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

func (s *Sim) authorizeGet(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if _, known := s.secret(q.Get("appid")); !known || q.Get("redirect_uri") == "" || q.Get("response_type") != "code" {
		http.Error(w, "oauthsim: bad authorize request (appid, redirect_uri, response_type=code)", http.StatusBadRequest)
		return
	}
	if !ValidState(q.Get("state")) {
		http.Error(w, "oauthsim: state must be at most 128 bytes of a-zA-Z0-9", http.StatusBadRequest)
		return
	}
	// The same people, each with its openid under this AppID.
	users := s.Users()
	for i := range users {
		users[i].OpenID = s.OpenIDUnder(q.Get("appid"), users[i].Nickname)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := pickTmpl.Execute(w, map[string]any{"Query": r.URL.RawQuery, "Users": users, "Scope": q.Get("scope"), "AppID": q.Get("appid")}); err != nil {
		s.Log.Error("oauthsim: render", "err", err)
	}
}

func (s *Sim) authorizePost(w http.ResponseWriter, r *http.Request) {
	q, err := url.ParseQuery(r.FormValue("q"))
	if _, known := s.secret(q.Get("appid")); err != nil || !known || !ValidState(q.Get("state")) {
		http.Error(w, "oauthsim: bad request", http.StatusBadRequest)
		return
	}
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || (redirect.Scheme != "http" && redirect.Scheme != "https") {
		http.Error(w, "oauthsim: bad redirect_uri", http.StatusBadRequest)
		return
	}
	nick := strings.TrimSpace(r.FormValue("nickname"))
	if nick == "" || len(nick) > 64 {
		http.Error(w, "oauthsim: nickname required (at most 64 bytes)", http.StatusBadRequest)
		return
	}
	appID := q.Get("appid")
	u := User{Nickname: nick, OpenID: s.OpenIDUnder(appID, nick), Snapshot: r.FormValue("snapshot") == "1"}
	code := randHex(16)
	s.mu.Lock()
	for c, g := range s.codes { // forget codes nobody exchanged
		if !s.Now().Before(g.expires) {
			delete(s.codes, c)
		}
	}
	s.users[nick] = User{Nickname: nick, OpenID: s.OpenID(nick), Snapshot: u.Snapshot}
	s.codes[code] = grant{appID: appID, openid: u.OpenID, snapshot: u.Snapshot, expires: s.Now().Add(5 * time.Minute)}
	s.mu.Unlock()
	s.Log.Info("oauthsim: authorized", "appid", appID, "nickname", nick, "openid", u.OpenID)
	rq := redirect.Query()
	rq.Set("code", code)
	rq.Set("state", q.Get("state"))
	redirect.RawQuery = rq.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

// accessToken answers like api.weixin.qq.com/sns/oauth2/access_token:
// always HTTP 200, errors as {errcode, errmsg}. Codes are single use.
func (s *Sim) accessToken(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	if want, known := s.secret(q.Get("appid")); !known || q.Get("secret") != want {
		enc.Encode(map[string]any{"errcode": 40125, "errmsg": "invalid appsecret"})
		return
	}
	if q.Get("grant_type") != "authorization_code" {
		enc.Encode(map[string]any{"errcode": 40002, "errmsg": "invalid grant_type"})
		return
	}
	s.mu.Lock()
	g, ok := s.codes[q.Get("code")]
	delete(s.codes, q.Get("code"))
	// A code belongs to the AppID it was issued for; another official
	// account cannot exchange it (and using it burns it, as at WeChat).
	ok = ok && g.appID == q.Get("appid") && s.Now().Before(g.expires)
	if ok {
		s.issued[g.openid] = g.appID
	}
	s.mu.Unlock()
	if !ok {
		enc.Encode(map[string]any{"errcode": 40029, "errmsg": "invalid code"})
		return
	}
	resp := map[string]any{
		"access_token":  "SIMTOKEN" + randHex(8),
		"expires_in":    7200,
		"refresh_token": "SIMREFRESH" + randHex(8),
		"openid":        g.openid,
		"scope":         "snsapi_base",
	}
	if g.snapshot {
		resp["is_snapshotuser"] = 1
	}
	enc.Encode(resp)
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

var pickTmpl = template.Must(template.New("pick").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>微信授权（模拟）</title>
<style>body{font-family:sans-serif;margin:0;background:#ededed}main{max-width:420px;margin:auto;padding:16px}
.card{background:#fff;border-radius:8px;padding:16px;margin:12px 0}button{width:100%;padding:12px;border:0;border-radius:6px;background:#07c160;color:#fff;font-size:16px;margin-top:8px}
input[type=text]{width:100%;box-sizing:border-box;padding:10px;font-size:16px}.u{background:#f7f7f7;color:#111;text-align:left}</style></head>
<body><main>
<h2>微信授权（沙箱模拟器）</h2>
<p>WeChat OAuth simulator — official account <code id="appid">{{.AppID}}</code>, scope {{.Scope}}. Pick a user or create one.</p>
{{if .Users}}<div class="card"><b>已有用户 / Existing users</b>
{{range .Users}}<form method="post"><input type="hidden" name="q" value="{{$.Query}}"><input type="hidden" name="nickname" value="{{.Nickname}}">
<button class="u" type="submit" data-nickname="{{.Nickname}}">{{.Nickname}} <small>{{.OpenID}}</small></button></form>{{end}}</div>{{end}}
<div class="card"><form method="post" id="new-user"><input type="hidden" name="q" value="{{.Query}}">
<label>昵称 / Nickname <input type="text" name="nickname" id="nickname" required maxlength="64"></label>
<label><input type="checkbox" name="snapshot" value="1"> 快照页虚拟用户 / snapshot user</label>
<button type="submit" id="authorize">同意授权 / Allow</button></form></div>
</main></body></html>`))
