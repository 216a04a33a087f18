package ui

import (
	"testing"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/locale"
	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/storage"
	"github.com/qrstand/qrstand/mqtt"
)

// TestLedgerText: what the order page says for each outcome, in
// Asia/Shanghai time and in both languages.
func TestLedgerText(t *testing.T) {
	at := time.Date(2026, 11, 25, 6, 2, 11, 0, time.UTC) // 14:02:11 in Shanghai
	rep := func(announce string, aAt time.Time, print string, pAt time.Time) *storage.LedgerEntry {
		return &storage.LedgerEntry{Announce: announce, AnnouncedAt: aAt, Print: print, PrintedAt: pAt}
	}
	for _, c := range []struct {
		name string
		e    storage.EventLine
		zh   string
		en   string
		ok   bool
	}{
		{"spoken and printed", storage.EventLine{Ledger: rep(mqtt.AnnounceSpoken, at, mqtt.PrintPrinted, at.Add(2*time.Second))},
			"已播报 14:02:11 · 已打印 14:02:13", "Announced 14:02:11 · Printed 14:02:13", true},
		{"catch-up summary", storage.EventLine{Ledger: rep(mqtt.AnnounceSummary, at, mqtt.PrintPrinted, at)},
			"已播报（离线汇总） 14:02:11 · 已打印 14:02:11", "Announced (offline summary) 14:02:11 · Printed 14:02:11", true},
		{"muted, paper out", storage.EventLine{Ledger: rep(mqtt.AnnounceMuted, time.Time{}, mqtt.PrintPaperOut, time.Time{})},
			"未播报：播报已关闭 · 未打印：缺纸", "Not announced: announcements off · Not printed: out of paper", false},
		{"quiet hours, receipts off", storage.EventLine{Ledger: rep(mqtt.AnnounceQuietHours, time.Time{}, mqtt.PrintOff, time.Time{})},
			"未播报：静音时段 · 未打印：小票已关闭", "Not announced: quiet hours · Not printed: receipts off", false},
		{"stand offline", storage.EventLine{State: model.OutboxPending, StandOnline: false}, "未播报：收款台离线", "Not announced: stand offline", false},
		{"waiting", storage.EventLine{State: model.OutboxPending, StandOnline: true}, "等待收款台确认", "Waiting for the stand", false},
		{"acked, no report", storage.EventLine{State: model.OutboxDelivered, DeliveredAt: at}, "已送达收款台 14:02:11", "Delivered to the stand 14:02:11", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := ledgerText(locale.ZH, c.e); got.Text != c.zh || got.OK != c.ok {
				t.Errorf("zh = %q ok %v, want %q ok %v", got.Text, got.OK, c.zh, c.ok)
			}
			if got := ledgerText(locale.EN, c.e); got.Text != c.en {
				t.Errorf("en = %q, want %q", got.Text, c.en)
			}
		})
	}
}
