package wechatsim

import (
	"encoding/json"
	"io"
	"net/http"
	"time"
)

// TemplateMessage is one official-account template message the simulator
// captured. See developers.weixin.qq.com/doc/offiaccount/Message_Management/Template_Message_Interface.html
type TemplateMessage struct {
	MsgID       int64           `json:"msgid"`
	AppID       string          `json:"appid"`
	ToUser      string          `json:"touser"`
	TemplateID  string          `json:"template_id"`
	URL         string          `json:"url,omitempty"`
	ClientMsgID string          `json:"client_msg_id,omitempty"`
	Data        json.RawMessage `json:"data"`
	At          time.Time       `json:"at"`
}

// wxError is the official-account API's error body.
type wxError struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

func writePlainJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; encoding=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) issueToken(w http.ResponseWriter, appID, secret string) {
	if len(s.OfficialAccounts) > 0 {
		if want, ok := s.OfficialAccounts[appID]; !ok || want != secret {
			writePlainJSON(w, wxError{40125, "invalid appsecret"})
			return
		}
	}
	if appID == "" {
		writePlainJSON(w, wxError{40013, "invalid appid"})
		return
	}
	tok := "SIMTOKEN_" + nonce(40)
	s.mu.Lock()
	s.tokens[tok] = appID
	s.mu.Unlock()
	writePlainJSON(w, map[string]any{"access_token": tok, "expires_in": 7200})
}

// handleToken serves GET /cgi-bin/token?grant_type=client_credential&appid=&secret=.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("grant_type") != "client_credential" {
		writePlainJSON(w, wxError{40002, "invalid grant_type"})
		return
	}
	s.issueToken(w, q.Get("appid"), q.Get("secret"))
}

// handleStableToken serves POST /cgi-bin/stable_token.
func (s *Server) handleStableToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		GrantType string `json:"grant_type"`
		AppID     string `json:"appid"`
		Secret    string `json:"secret"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, maxBody)).Decode(&req); err != nil || req.GrantType != "client_credential" {
		writePlainJSON(w, wxError{40002, "invalid grant_type"})
		return
	}
	s.issueToken(w, req.AppID, req.Secret)
}

// handleTemplateSend serves POST /cgi-bin/message/template/send: it records
// the message once per (appid, client_msg_id) and answers the same msgid to
// a repeat.
func (s *Server) handleTemplateSend(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	appID, ok := s.tokens[r.URL.Query().Get("access_token")]
	s.mu.Unlock()
	if !ok {
		writePlainJSON(w, wxError{40001, "invalid credential, access_token is invalid or not latest"})
		return
	}
	var m TemplateMessage
	if err := json.NewDecoder(io.LimitReader(r.Body, maxBody)).Decode(&m); err != nil {
		writePlainJSON(w, wxError{47001, "data format error"})
		return
	}
	if m.ToUser == "" {
		writePlainJSON(w, wxError{40003, "invalid openid"})
		return
	}
	if m.TemplateID == "" {
		writePlainJSON(w, wxError{40037, "invalid template_id"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if m.ClientMsgID != "" {
		if id, dup := s.msgByID[appID+"/"+m.ClientMsgID]; dup {
			writePlainJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "msgid": id})
			return
		}
	}
	m.MsgID = s.nextSeq()
	m.AppID = appID
	m.At = s.Now()
	s.messages = append(s.messages, m)
	if m.ClientMsgID != "" {
		s.msgByID[appID+"/"+m.ClientMsgID] = m.MsgID
	}
	writePlainJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "msgid": m.MsgID})
}

// Messages returns the captured template messages, in order.
func (s *Server) Messages() []TemplateMessage {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]TemplateMessage(nil), s.messages...)
}
