package outbox

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/storage"
)

// Stand alert kinds (storage's stand_alerts.kind).
const (
	AlertPaper   = "paper"                  // out of paper or near the end
	AlertBattery = "battery_low"            // low and not charging
	AlertOffline = storage.AlertKindOffline // offline for a while during business hours
)

// Alert is one stand alert to send to staff as an official-account
// template message.
type Alert struct {
	Kind       string // Alert*
	StandID    string
	StoreName  string
	Problem    string // what is wrong, in Chinese: "缺纸", "纸将用尽", "电量低 15%", "离线 12 分钟"
	At         time.Time
	URL        string // where the message leads (the store's stands page)
	TemplateID string
}

// alertMessage is the /cgi-bin/message/template/send body (the same shape
// as the payment message).
type alertMessage struct {
	ToUser      string                       `json:"touser"`
	TemplateID  string                       `json:"template_id"`
	URL         string                       `json:"url,omitempty"`
	ClientMsgID string                       `json:"client_msg_id,omitempty"`
	Data        map[string]map[string]string `json:"data"`
}

// AlertTemplates builds one template row per recipient. The row id (and
// client_msg_id) names the stand, the kind, the raise time and the person,
// so WeChat drops a repeat of the same raise but a later raise gets
// through.
func AlertTemplates(recipients []model.Staff, a Alert, zone *time.Location) ([]storage.Template, error) {
	if zone == nil {
		zone = time.UTC
	}
	var out []storage.Template
	for _, r := range recipients {
		m := alertMessage{
			ToUser: r.OpenID, TemplateID: a.TemplateID, URL: a.URL,
			ClientMsgID: fmt.Sprintf("A%s-%s-%d-%s", a.StandID, a.Kind, a.At.Unix(), r.ID),
			Data: map[string]map[string]string{
				"thing1":            {"value": a.StoreName},
				"character_string2": {"value": a.StandID},
				"thing3":            {"value": a.Problem},
				"time4":             {"value": a.At.In(zone).Format("2006-01-02 15:04:05")},
			},
		}
		b, err := json.Marshal(m)
		if err != nil {
			return nil, err
		}
		out = append(out, storage.Template{ID: m.ClientMsgID, ToOpenID: r.OpenID, Payload: b})
	}
	return out, nil
}
