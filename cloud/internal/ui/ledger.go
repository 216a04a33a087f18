package ui

import (
	"strings"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/locale"
	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/storage"
	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/biz"
)

// ledgerLine is what a person reads about one event on one stand.
type ledgerLine struct {
	StandID string
	Text    string
	OK      bool // announced (or nothing to announce) and printed
}

// ledgerText says what happened to an event on a stand, from the stand's
// ledger report or, before one arrived, from the outbox and the stand's
// presence: "已播报 14:02:11 · 已打印 14:02:13", "未播报：收款台离线".
func ledgerText(l locale.Lang, e storage.EventLine) ledgerLine {
	hms := func(t time.Time) string { return t.In(biz.Zone).Format("15:04:05") }
	out := ledgerLine{StandID: e.StandID}
	r := e.Ledger
	if r == nil {
		switch {
		case e.State == model.OutboxDelivered:
			out.Text = l.T("已送达收款台") + " " + hms(e.DeliveredAt)
		case !e.StandOnline:
			out.Text = l.T("未播报：收款台离线")
		default:
			out.Text = l.T("等待收款台确认")
		}
		return out
	}
	var parts []string
	announced := false
	switch r.Announce {
	case mqtt.AnnounceSpoken:
		parts, announced = append(parts, l.T("已播报")+" "+hms(r.AnnouncedAt)), true
	case mqtt.AnnounceSummary:
		parts, announced = append(parts, l.T("已播报（离线汇总）")+" "+hms(r.AnnouncedAt)), true
	case mqtt.AnnounceUnknown:
		parts, announced = append(parts, l.T("已播报（时间未知）")), true
	case mqtt.AnnounceMuted:
		parts = append(parts, l.T("未播报：播报已关闭"))
	case mqtt.AnnounceQuietHours:
		parts = append(parts, l.T("未播报：静音时段"))
	case mqtt.AnnounceFailed:
		parts = append(parts, l.T("未播报：喇叭故障"))
	case mqtt.AnnounceNone:
		announced = true
	}
	printed := false
	switch r.Print {
	case mqtt.PrintPrinted:
		parts, printed = append(parts, l.T("已打印")+" "+hms(r.PrintedAt)), true
	case mqtt.PrintReprint:
		parts, printed = append(parts, l.T("已补打")+" "+hms(r.PrintedAt)), true
	case mqtt.PrintOff:
		parts, printed = append(parts, l.T("未打印：小票已关闭")), true
	case mqtt.PrintPaperOut:
		parts = append(parts, l.T("未打印：缺纸"))
	case mqtt.PrintFailed:
		parts = append(parts, l.T("未打印：打印机故障"))
	case mqtt.PrintNone:
		printed = true
	}
	out.Text = strings.Join(parts, " · ")
	out.OK = announced && printed
	return out
}
