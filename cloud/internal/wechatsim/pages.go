package wechatsim

import (
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"net/http"
	"net/url"

	"github.com/qrstand/qrstand/mqtt/biz"
)

//go:embed templates/*.html
var templateFS embed.FS

// All templates are parsed at start-up: a broken one fails the process, not
// a request.
var pages = template.Must(template.ParseFS(templateFS, "templates/*.html"))

// ConfirmPath is where the confirm page lives; a pay page in sandbox mode
// sends the browser to ConfirmPath + "?prepay_id=…&return=…".
const ConfirmPath = "/sim/pay"

// ConfirmURL returns the confirm page URL on a simulator at base for
// prepayID; after paying or cancelling the browser goes to returnURL with
// err_msg=get_brand_wcpay_request:ok (or :cancel) added, the strings
// getBrandWCPayRequest reports in WeChat.
func ConfirmURL(base, prepayID, returnURL string) string {
	q := url.Values{"prepay_id": {prepayID}}
	if returnURL != "" {
		q.Set("return", returnURL)
	}
	return base + ConfirmPath + "?" + q.Encode()
}

type confirmView struct {
	Error                                  string
	Payee, Amount, Description, OutTradeNo string
	PrepayID, Return, Action               string
}

func (s *Server) handleConfirmPage(w http.ResponseWriter, r *http.Request) {
	v := confirmView{PrepayID: r.URL.Query().Get("prepay_id"), Return: safeReturn(r.URL.Query().Get("return")), Action: ConfirmPath}
	s.mu.Lock()
	o := s.byPrepay[v.PrepayID]
	if o != nil {
		v.Amount = biz.FormatFen(o.Total)
		v.Description = o.Description
		v.OutTradeNo = o.OutTradeNo
		m, _ := s.merchant(o.SpMchID)
		v.Payee = m.Name
		if n := m.SubMerchants[o.SubMchID]; n != "" {
			v.Payee = n
		}
		if v.Payee == "" {
			v.Payee = "商户 " + o.SubMchID
		}
		switch {
		case o.State == StateSuccess || o.State == StateRefund:
			v.Error = "该订单已支付"
		case o.State == StateClosed:
			v.Error = "该订单已关闭"
		case s.Now().After(o.TimeExpire):
			v.Error = "该订单已过期，请重新下单"
		}
	} else {
		v.Error = "订单不存在"
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if v.Error != "" {
		w.WriteHeader(http.StatusNotFound)
	}
	_ = pages.ExecuteTemplate(w, "confirm.html", v)
}

func (s *Server) handleConfirmSubmit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	prepayID, ret := r.PostForm.Get("prepay_id"), safeReturn(r.PostForm.Get("return"))
	result, msg := "get_brand_wcpay_request:ok", "支付成功"
	if r.PostForm.Get("action") == "confirm" {
		if err := s.Pay(prepayID); err != nil {
			result, msg = "get_brand_wcpay_request:fail", "支付失败："+payErrorText(err)
		}
	} else {
		result, msg = "get_brand_wcpay_request:cancel", "已取消支付"
	}
	if ret == "" {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = pages.ExecuteTemplate(w, "result.html", msg)
		return
	}
	u, _ := url.Parse(ret)
	q := u.Query()
	q.Set("err_msg", result)
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}

func payErrorText(err error) string {
	switch {
	case errors.Is(err, ErrNoOrder):
		return "订单不存在"
	case errors.Is(err, ErrOrderExpired):
		return "订单已过期"
	}
	return "订单状态不允许支付"
}

// safeReturn keeps only absolute http(s) URLs.
func safeReturn(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.String()
}

func (s *Server) handleAdminPage(w http.ResponseWriter, r *http.Request) {
	f, _ := json.MarshalIndent(s.Faults(), "", "  ")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = pages.ExecuteTemplate(w, "admin.html", map[string]any{
		"KeyID": s.PlatformKeyID, "TZ": biz.Zone, "Faults": string(f), "Orders": s.Orders(),
		"Refunds": s.Refunds(), "Deliveries": s.Deliveries(), "Messages": s.Messages(),
	})
}

func (s *Server) handleState(w http.ResponseWriter, r *http.Request) {
	writePlainJSON(w, map[string]any{
		"orders": s.Orders(), "refunds": s.Refunds(), "deliveries": s.Deliveries(), "faults": s.Faults(),
	})
}

func (s *Server) handleGetFaults(w http.ResponseWriter, r *http.Request) {
	writePlainJSON(w, s.Faults())
}

func (s *Server) handlePutFaults(w http.ResponseWriter, r *http.Request) {
	var f Faults
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		writePlainJSON(w, map[string]string{"error": "faults: " + err.Error()})
		return
	}
	s.SetFaults(f)
	writePlainJSON(w, f)
}

func (s *Server) handleAdminPay(w http.ResponseWriter, r *http.Request) {
	if err := s.Pay(r.PathValue("prepay")); err != nil {
		w.WriteHeader(http.StatusConflict)
		writePlainJSON(w, map[string]string{"error": err.Error()})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleMessages(w http.ResponseWriter, r *http.Request) {
	writePlainJSON(w, s.Messages())
}
