package wechatsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"
)

// bufferedWriter holds a handler's answer so that it can be signed (and
// delayed or mis-signed by a fault) before it is sent.
type bufferedWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedWriter) Header() http.Header         { return b.header }
func (b *bufferedWriter) Write(p []byte) (int, error) { return b.body.Write(p) }
func (b *bufferedWriter) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

// apiHandler authenticates a v3 API request, applies the API faults, runs h
// and signs what it answers.
func (s *Server) apiHandler(h func(w http.ResponseWriter, r *http.Request, c *call)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := s.authenticate(r)
		if err != nil {
			var ae authError
			if errors.As(err, &ae) {
				s.Log.Info("wechatsim: request rejected", "method", r.Method, "path", r.URL.Path, "reason", ae.msg)
				s.writeError(w, http.StatusUnauthorized, "SIGN_ERROR", ae.msg)
				return
			}
			s.writeError(w, http.StatusBadRequest, "PARAM_ERROR", "请求体无法读取")
			return
		}
		fail := s.takeAPIFault()
		if fail.status != 0 {
			s.Log.Info("wechatsim: injected API error", "path", r.URL.Path, "status", fail.status)
			s.writeError(w, fail.status, "SYSTEM_ERROR", "系统错误")
			return
		}
		bw := &bufferedWriter{header: http.Header{}}
		h(bw, r, c)
		if bw.status == 0 {
			bw.status = http.StatusOK
		}
		if fail.delay > 0 {
			t := time.NewTimer(fail.delay)
			select {
			case <-t.C:
			case <-r.Context().Done():
			case <-s.ctx.Done():
			}
			t.Stop()
		}
		for k, v := range bw.header {
			w.Header()[k] = v
		}
		s.Log.Info("wechatsim: api", "method", r.Method, "uri", r.RequestURI, "status", bw.status)
		s.send(w, c.merchant.MchID, bw.status, bw.body.Bytes(), bw.status/100 == 2 && s.takeBadSignature())
	})
}

// send writes a response signed with the platform key over
// timestamp\nnonce\nbody\n (an empty body for 204), or with a SIGNTEST
// probe signature when badSig is set.
func (s *Server) send(w http.ResponseWriter, mchID string, status int, body []byte, badSig bool) {
	ts := strconv.FormatInt(s.Now().Unix(), 10)
	n := nonce(32)
	key, keyID := s.platformFor(mchID)
	sig := signMessage(key, ts+"\n"+n+"\n"+string(body)+"\n")
	if badSig {
		sig = signTestSignature()
	}
	h := w.Header()
	h.Set("Wechatpay-Serial", keyID)
	h.Set("Wechatpay-Timestamp", ts)
	h.Set("Wechatpay-Nonce", n)
	h.Set("Wechatpay-Signature", sig)
	h.Set("Wechatpay-Signature-Type", authScheme)
	h.Set("Request-Id", "sim-"+nonce(24))
	if len(body) > 0 {
		h.Set("Content-Type", "application/json; charset=utf-8")
	}
	w.WriteHeader(status)
	if status != http.StatusNoContent {
		_, _ = w.Write(body)
	}
}

func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"code":"SYSTEM_ERROR","message":"系统错误"}`)
	}
	if bw, ok := w.(*bufferedWriter); ok {
		bw.WriteHeader(status)
		_, _ = bw.Write(b)
		return
	}
	s.send(w, "", status, b, false)
}

// apiError is WeChat's error body.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (s *Server) writeError(w http.ResponseWriter, status int, code, msg string) {
	s.writeJSON(w, status, apiError{Code: code, Message: msg})
}
