package wechatsim

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/qrstand/qrstand/mqtt/biz"
)

// event is one notification to deliver.
type event struct {
	eventType, summary, originalType string
	resource                         map[string]any
	url, apiV3Key                    string
	outTradeNo, outRefundNo          string
	mchID                            string // sp_mchid: whose platform key signs
}

// Delivery is one notify request the simulator made (or chose not to make).
type Delivery struct {
	NotifyID    string    `json:"notify_id"`
	EventType   string    `json:"event_type"`
	OutTradeNo  string    `json:"out_trade_no"`
	OutRefundNo string    `json:"out_refund_no,omitempty"`
	URL         string    `json:"url"`
	Attempt     int       `json:"attempt"` // 0 for probes and injected copies; 1, 2… for the schedule
	Fault       string    `json:"fault,omitempty"`
	Status      int       `json:"status"` // receiver's HTTP status; 0 when none
	Err         string    `json:"error,omitempty"`
	At          time.Time `json:"at"`
}

// Acked reports whether the receiver answered 2xx.
func (d Delivery) Acked() bool { return d.Status >= 200 && d.Status <= 299 }

// variant says how one delivery is spoiled; the zero value is correct.
type variant struct {
	signTest, stale, wrongSerial, tamper, badNonce bool
}

func (v variant) String() string {
	out := ""
	add := func(b bool, s string) {
		if b {
			if out != "" {
				out += "+"
			}
			out += s
		}
	}
	add(v.signTest, "signtest")
	add(v.stale, "stale-timestamp")
	add(v.wrongSerial, "wrong-serial")
	add(v.tamper, "tampered-ciphertext")
	add(v.badNonce, "13-byte-nonce")
	return out
}

func (s *Server) startNotify(ev event, f Faults) {
	id := fmt.Sprintf("%s-%s-%s-%s-%s", nonce(8), nonce(4), nonce(4), nonce(4), nonce(12))
	if f.SuppressNotify || ev.url == "" {
		s.record(Delivery{NotifyID: id, EventType: ev.eventType, OutTradeNo: ev.outTradeNo,
			OutRefundNo: ev.outRefundNo, URL: ev.url, Fault: "suppressed", At: s.Now()})
		return
	}
	s.goBackground(func(ctx context.Context) { s.deliver(ctx, id, ev, f) })
}

// deliver runs WeChat's delivery of one notification: optional probe, the
// first delivery (possibly spoiled, possibly several at once), resends on
// the retry schedule until a 2xx, then optional duplicates.
func (s *Server) deliver(ctx context.Context, id string, ev event, f Faults) {
	post := func(attempt int, v variant) bool {
		d := Delivery{NotifyID: id, EventType: ev.eventType, OutTradeNo: ev.outTradeNo,
			OutRefundNo: ev.outRefundNo, URL: ev.url, Attempt: attempt, Fault: v.String(), At: s.Now()}
		d.Status, d.Err = s.postNotify(ctx, id, ev, v)
		s.Log.Info("wechatsim: notify", "id", id, "event", ev.eventType, "attempt", attempt, "fault", d.Fault, "status", d.Status, "err", d.Err)
		s.record(d)
		return d.Acked()
	}
	if f.SignTestProbe {
		post(0, variant{signTest: true})
	}
	first := variant{stale: f.StaleTimestamp, wrongSerial: f.WrongSerial, tamper: f.TamperCiphertext, badNonce: f.BadNonce}
	var ok bool
	if n := f.ConcurrentNotifies; n > 1 {
		var wg sync.WaitGroup
		var mu sync.Mutex
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if post(1, first) {
					mu.Lock()
					ok = true
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
	} else {
		ok = post(1, first)
	}
	for i := 0; !ok && i < len(s.Retry); i++ {
		if !s.sleep(ctx, s.Retry[i]) {
			return
		}
		ok = post(i+2, variant{})
	}
	for i := 0; ok && i < f.DuplicateNotifies; i++ {
		post(0, variant{})
	}
}

// postNotify sends one notify request and returns the receiver's status.
func (s *Server) postNotify(ctx context.Context, id string, ev event, v variant) (int, string) {
	body, err := s.notifyBody(id, ev, v)
	if err != nil {
		return 0, err.Error()
	}
	now := s.Now()
	if v.stale {
		now = now.Add(-10 * time.Minute)
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	n := nonce(32)
	key, serial := s.platformFor(ev.mchID)
	sig := signMessage(key, ts+"\n"+n+"\n"+string(body)+"\n")
	if v.signTest {
		sig = signTestSignature()
	}
	if v.wrongSerial {
		serial = "PUB_KEY_ID_0100000000SIMULATOR0000WRONG"
	}
	ctx, cancel := context.WithTimeout(ctx, s.NotifyTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ev.url, bytes.NewReader(body))
	if err != nil {
		return 0, err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Mozilla/4.0 (wechatsim)")
	req.Header.Set("Wechatpay-Serial", serial)
	req.Header.Set("Wechatpay-Timestamp", ts)
	req.Header.Set("Wechatpay-Nonce", n)
	req.Header.Set("Wechatpay-Signature", sig)
	req.Header.Set("Wechatpay-Signature-Type", authScheme)
	resp, err := s.HTTPClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, ""
}

// notifyBody builds the notify JSON with the resource encrypted under the
// merchant's APIv3 key (AEAD_AES_256_GCM, associated data = original type).
// See pay.weixin.qq.com/docs/partner/apis/partner-jsapi-payment/payment-notice.html
func (s *Server) notifyBody(id string, ev event, v variant) ([]byte, error) {
	plain, err := json.Marshal(ev.resource)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher([]byte(ev.apiV3Key))
	if err != nil {
		return nil, fmt.Errorf("apiv3 key: %w", err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	nn := nonce(12)
	ct := gcm.Seal(nil, []byte(nn), plain, []byte(ev.originalType))
	if v.tamper {
		ct[len(ct)/2] ^= 0x40
	}
	if v.badNonce {
		nn += "X" // 13 bytes: gcm.Open panics on it
	}
	return json.Marshal(map[string]any{
		"id":            id,
		"create_time":   s.Now().In(biz.Zone).Format(time.RFC3339),
		"resource_type": "encrypt-resource",
		"event_type":    ev.eventType,
		"summary":       ev.summary,
		"resource": map[string]any{
			"original_type":   ev.originalType,
			"algorithm":       "AEAD_AES_256_GCM",
			"ciphertext":      base64.StdEncoding.EncodeToString(ct),
			"associated_data": ev.originalType,
			"nonce":           nn,
		},
	})
}

func (s *Server) record(d Delivery) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deliveries = append(s.deliveries, d)
	close(s.changed)
	s.changed = make(chan struct{})
}

// Deliveries returns every notify delivery so far, in order.
func (s *Server) Deliveries() []Delivery {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Delivery(nil), s.deliveries...)
}

// WaitDeliveries blocks until done(Deliveries()) is true or ctx ends.
func (s *Server) WaitDeliveries(ctx context.Context, done func([]Delivery) bool) ([]Delivery, error) {
	s.init()
	for {
		s.mu.Lock()
		ds := append([]Delivery(nil), s.deliveries...)
		ch := s.changed
		s.mu.Unlock()
		if done(ds) {
			return ds, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ds, fmt.Errorf("wechatsim: waiting for deliveries: %w", ctx.Err())
		}
	}
}
