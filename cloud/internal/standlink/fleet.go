package standlink

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/qrstand/qrstand/cloud/internal/outbox"
	"github.com/qrstand/qrstand/cloud/internal/storage"
	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/biz"
)

// AlertConfig configures stand alerts to staff. Zero values take the
// defaults given.
type AlertConfig struct {
	// TemplateID is the official-account template of stand alerts.
	// Default "qrstand-stand-alert" (the simulator takes any id).
	TemplateID string
	// Quiet is how long after a message the same alert of the same stand
	// stays silent if it clears and comes back (a flapping sensor).
	// Default 30 min.
	Quiet time.Duration
	// OfflineAfter is how long a stand must be offline before staff hear
	// of it. Default 10 min.
	OfflineAfter time.Duration
	// BatteryLow is the charge (percent) at or below which a stand that is
	// not charging raises the battery alert. Default 20.
	BatteryLow int
	// BusinessStart and BusinessEnd ("HH:MM", Zone) bound when offline
	// alerts are sent: a stand switched off at night is no news. Default
	// 08:00–22:00.
	BusinessStart, BusinessEnd string
	// CheckEvery is how often offline stands are looked for. Default 30 s.
	CheckEvery time.Duration
	// StandsURL is where an alert message leads for a store (its stands
	// page); nil sends no link.
	StandsURL func(storeID string) string
	// Zone is the business zone. Default Asia/Shanghai.
	Zone *time.Location
}

func (a *AlertConfig) defaults() error {
	if a.TemplateID == "" {
		a.TemplateID = "qrstand-stand-alert"
	}
	if a.Quiet == 0 {
		a.Quiet = 30 * time.Minute
	}
	if a.OfflineAfter == 0 {
		a.OfflineAfter = 10 * time.Minute
	}
	if a.BatteryLow == 0 {
		a.BatteryLow = 20
	}
	if a.BusinessStart == "" {
		a.BusinessStart = "08:00"
	}
	if a.BusinessEnd == "" {
		a.BusinessEnd = "22:00"
	}
	if a.CheckEvery == 0 {
		a.CheckEvery = 30 * time.Second
	}
	if a.Zone == nil {
		a.Zone = biz.Zone
	}
	if _, err := clockMinutes(a.BusinessStart); err != nil {
		return err
	}
	if _, err := clockMinutes(a.BusinessEnd); err != nil {
		return err
	}
	if a.Quiet < 0 || a.OfflineAfter < 0 || a.CheckEvery < 0 || a.BatteryLow < 0 || a.BatteryLow > 100 {
		return fmt.Errorf("standlink: alert durations must be positive and BatteryLow 0..100")
	}
	return nil
}

// clockMinutes parses "HH:MM" into minutes after midnight.
func clockMinutes(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("standlink: business hours %q: want HH:MM", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

// businessHours reports whether t is within the business hours (an end
// before the start spans midnight).
func (a *AlertConfig) businessHours(t time.Time) bool {
	start, _ := clockMinutes(a.BusinessStart)
	end, _ := clockMinutes(a.BusinessEnd)
	lt := t.In(a.Zone)
	m := lt.Hour()*60 + lt.Minute()
	if start <= end {
		return m >= start && m < end
	}
	return m >= start || m < end
}

// fleetMetrics count what the fleet reports.
type fleetMetrics struct {
	ledger      prometheus.Counter
	alerts      *prometheus.CounterVec
	unannounced prometheus.GaugeFunc
}

func (l *Link) newMetrics() {
	l.metrics.ledger = prometheus.NewCounter(prometheus.CounterOpts{Name: "qrstand_stand_ledger_reports_total",
		Help: "Ledger reports from stands recorded (announced/printed per event)."})
	l.metrics.alerts = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "qrstand_stand_alerts_total",
		Help: "Stand alerts raised and messaged to staff, by kind."}, []string{"kind"})
	l.metrics.unannounced = prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "qrstand_payments_unannounced",
		Help:        "Payments of the last 24 hours to stores with stands that no stand announced within the announce deadline.",
		ConstLabels: prometheus.Labels{"within": l.cfg.UnannouncedWithin.String()}}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		now := l.cfg.Now()
		un, err := l.st.UnannouncedPayments(ctx, storage.UnannouncedFilter{Since: now.Add(-24 * time.Hour), Within: l.cfg.UnannouncedWithin, Now: now, Limit: 1 << 30})
		if err != nil {
			l.cfg.Log.Warn("standlink: unannounced metric", "err", err)
			return 0
		}
		return float64(len(un))
	})
}

// Collectors are the link's Prometheus metrics.
func (l *Link) Collectors() []prometheus.Collector {
	return []prometheus.Collector{l.metrics.ledger, l.metrics.alerts, l.metrics.unannounced}
}

func (l *Link) setPresence(ctx context.Context, id string, online bool) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	changed, err := l.st.SetStandPresence(ctx, id, online, l.cfg.Now())
	if err != nil {
		l.cfg.Log.Error("standlink: presence", "stand", id, "err", err)
		return
	}
	if changed {
		l.cfg.Log.Info("standlink: presence", "stand", id, "online", online)
	}
	if online {
		if err := l.st.ClearAlert(ctx, id, outbox.AlertOffline); err != nil {
			l.cfg.Log.Error("standlink: clear offline alert", "stand", id, "err", err)
		}
	}
}

// status records a stand's status and raises or clears its paper and
// battery alerts.
func (l *Link) status(ctx context.Context, id string, st *mqtt.Status) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := l.st.SetStandStatus(ctx, id, st, l.cfg.Now()); err != nil {
		l.cfg.Log.Error("standlink: status", "stand", id, "err", err)
		return
	}
	switch st.Paper {
	case mqtt.PaperOut:
		l.raise(ctx, id, outbox.AlertPaper, "缺纸，小票无法打印")
	case mqtt.PaperNearEnd:
		l.raise(ctx, id, outbox.AlertPaper, "打印纸将用尽")
	case mqtt.PaperOK:
		l.clear(ctx, id, outbox.AlertPaper)
	}
	a := l.cfg.Alerts
	switch {
	case st.BatteryPct >= 0 && st.BatteryPct <= a.BatteryLow && !st.Charging && st.OnBattery:
		l.raise(ctx, id, outbox.AlertBattery, fmt.Sprintf("电量低 %d%%，请充电", st.BatteryPct))
	case st.BatteryPct > a.BatteryLow || st.Charging || !st.OnBattery:
		l.clear(ctx, id, outbox.AlertBattery)
	}
}

func (l *Link) clear(ctx context.Context, id, kind string) {
	if err := l.st.ClearAlert(ctx, id, kind); err != nil {
		l.cfg.Log.Error("standlink: clear alert", "stand", id, "kind", kind, "err", err)
	}
}

// raise raises alert kind for stand id; the storage de-duplicates and the
// outbox sends the messages.
func (l *Link) raise(ctx context.Context, id, kind, problem string) {
	stand, err := l.st.Stand(ctx, id)
	if err != nil || stand.StoreID == "" {
		return // unbound stands have nobody to tell
	}
	store, err := l.st.Store(ctx, stand.StoreID)
	if err != nil {
		l.cfg.Log.Error("standlink: alert store", "stand", id, "err", err)
		return
	}
	now := l.cfg.Now()
	a := l.cfg.Alerts
	sent, err := l.st.RaiseAlert(ctx, id, kind, now, a.Quiet, func() ([]storage.Template, error) {
		recipients, err := l.st.AlertRecipients(ctx, store.ID)
		if err != nil {
			return nil, err
		}
		url := ""
		if a.StandsURL != nil {
			url = a.StandsURL(store.ID)
		}
		return outbox.AlertTemplates(recipients, outbox.Alert{Kind: kind, StandID: id, StoreName: store.Name, Problem: problem, At: now,
			URL: url, TemplateID: a.TemplateID}, a.Zone)
	})
	if err != nil {
		l.cfg.Log.Error("standlink: raise alert", "stand", id, "kind", kind, "err", err)
		return
	}
	if sent {
		l.metrics.alerts.WithLabelValues(kind).Inc()
		l.cfg.Log.Info("standlink: alert sent", "stand", id, "kind", kind)
		if l.cfg.AfterAlert != nil {
			l.cfg.AfterAlert()
		}
	}
}

// ledger records a stand's ledger report.
func (l *Link) ledger(ctx context.Context, id string, r *mqtt.Ledger) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	ok, err := l.st.RecordLedger(ctx, id, r, l.cfg.Now())
	switch {
	case err != nil:
		l.cfg.Log.Error("standlink: ledger", "stand", id, "err", err)
	case !ok:
		l.cfg.Log.Warn("standlink: ledger report for an event not sent to this stand", "stand", id)
	default:
		l.metrics.ledger.Inc()
	}
}

// checkOffline raises the offline alert for stands offline longer than
// OfflineAfter, during business hours.
func (l *Link) checkOffline(ctx context.Context) {
	a := l.cfg.Alerts
	now := l.cfg.Now()
	if !a.businessHours(now) {
		return
	}
	stands, err := l.st.OfflineStands(ctx, now.Add(-a.OfflineAfter))
	if err != nil {
		l.cfg.Log.Error("standlink: offline stands", "err", err)
		return
	}
	for _, s := range stands {
		mins := int(now.Sub(s.Health.Since) / time.Minute)
		l.raise(ctx, s.ID, outbox.AlertOffline, fmt.Sprintf("离线 %d 分钟", mins))
	}
}

// runChecks looks for offline stands every CheckEvery until ctx ends.
func (l *Link) runChecks(ctx context.Context) {
	t := time.NewTicker(l.cfg.Alerts.CheckEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			l.checkOffline(ctx)
		}
	}
}
