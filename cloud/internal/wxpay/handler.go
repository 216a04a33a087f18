package wxpay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// NotifyFunc handles one verified notify. It must honour ctx (its deadline
// keeps the answer within WeChat's 5 s) and be idempotent: WeChat resends
// and duplicates notifies. Return nil to acknowledge; an error wrapping
// ErrRejectNotify answers 400, any other error 500 (WeChat resends either).
type NotifyFunc func(ctx context.Context, n Notify) error

// notifyReply is the body WeChat expects from a notify receiver.
type notifyReply struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// NotifyHandler returns an http.Handler for the notify URL: it parses the
// notify, runs fn with a deadline of Config.NotifyTimeout, and answers
// 200 {"code":"SUCCESS"} or 4xx/5xx {"code":"FAIL"}. Internal error text
// never reaches the answer; it is logged.
func (c *Client) NotifyHandler(fn NotifyFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			reply(w, http.StatusMethodNotAllowed, "FAIL", "仅支持POST")
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), c.cfg.NotifyTimeout)
		defer cancel()
		r = r.WithContext(ctx)
		n, err := c.ParseNotify(r)
		switch {
		case errors.Is(err, ErrBadSignature):
			c.cfg.Log.Warn("wxpay: notify signature rejected", "err", err, "remote", r.RemoteAddr)
			reply(w, http.StatusUnauthorized, "FAIL", "签名错误")
			return
		case err != nil:
			c.cfg.Log.Warn("wxpay: notify rejected", "err", err, "remote", r.RemoteAddr)
			reply(w, http.StatusBadRequest, "FAIL", "通知无法解析")
			return
		}
		if err := callRecovering(ctx, fn, n); err != nil {
			status := http.StatusInternalServerError
			if errors.Is(err, ErrRejectNotify) {
				status = http.StatusBadRequest
			}
			c.cfg.Log.Error("wxpay: notify handling failed", "id", n.ID, "event", n.EventType, "err", err)
			reply(w, status, "FAIL", "处理失败")
			return
		}
		c.cfg.Log.Info("wxpay: notify handled", "id", n.ID, "event", n.EventType)
		reply(w, http.StatusOK, "SUCCESS", "成功")
	})
}

func callRecovering(ctx context.Context, fn NotifyFunc, n Notify) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("wxpay: notify callback panicked: %v", p)
		}
	}()
	return fn(ctx, n)
}

func reply(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(notifyReply{Code: code, Message: msg})
}
