package storage_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/dbtest"
	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/storage"
	"github.com/qrstand/qrstand/mqtt"
)

// TestFleetHealth: presence and status land in the fleet list; Since moves
// only on a change; filters by presence and store work; revoke and rekey
// change what the broker's lookup returns.
func TestFleetHealth(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *storage.Storage) {
		ctx := context.Background()
		st := paidStore(t, s, 0)
		if err := s.RegisterProviderStand(ctx, "", "qrs-loose-0001", "sec", t0); err != nil {
			t.Fatal(err)
		}
		if ch, err := s.SetStandPresence(ctx, "qrs-claim-0001", true, t0); err != nil || !ch {
			t.Fatalf("first presence: %v %v", ch, err)
		}
		if ch, _ := s.SetStandPresence(ctx, "qrs-claim-0001", true, t0.Add(time.Minute)); ch {
			t.Error("repeated online counted as a change")
		}
		if err := s.SetStandStatus(ctx, "qrs-claim-0001", &mqtt.Status{Firmware: "1.2.3", BatteryPct: 15, Paper: mqtt.PaperOut,
			PrinterModel: "58mm", Pending: 2, SignalDBm: -60, Network: "wifi"}, t0.Add(2*time.Minute)); err != nil {
			t.Fatal(err)
		}
		f, err := s.FleetStand(ctx, "qrs-claim-0001")
		if err != nil {
			t.Fatal(err)
		}
		h := f.Health
		if !h.Online || !h.Since.Equal(t0) || !h.LastSeen.Equal(t0.Add(2*time.Minute)) || h.Firmware != "1.2.3" || h.BatteryPct != 15 ||
			h.Paper != mqtt.PaperOut || h.PrinterModel != "58mm" || h.Pending != 2 || f.StoreID != st.ID || f.StoreName != "一号店" {
			t.Errorf("fleet stand = %+v", f)
		}
		online, _ := s.ListFleet(ctx, storage.FleetFilter{Presence: "online"})
		offline, _ := s.ListFleet(ctx, storage.FleetFilter{Presence: "offline"})
		byStore, _ := s.ListFleet(ctx, storage.FleetFilter{StoreID: st.ID})
		if len(online) != 1 || len(offline) != 2 || len(byStore) != 2 {
			t.Errorf("online %d offline %d by store %d; want 1 2 2", len(online), len(offline), len(byStore))
		}
		if err := s.RevokeStand(ctx, "qrs-claim-0001", t0); err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.VerifyStandSecret(ctx, "qrs-claim-0001", "secret"); ok {
			t.Error("a revoked stand's secret still works")
		}
		if err := s.RekeyStand(ctx, "qrs-claim-0001", "new-secret"); err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.VerifyStandSecret(ctx, "qrs-claim-0001", "new-secret"); !ok {
			t.Error("the new secret does not work")
		}
		if err := s.RekeyStand(ctx, "qrs-nope", "x"); err == nil {
			t.Error("rekey of an unknown stand succeeded")
		}
	})
}

// TestLedgerAndUnannounced: a stand's report is kept only for events sent
// to it; the order ledger joins the report; the unannounced report lists
// a payment until an announcement within the window is reported.
func TestLedgerAndUnannounced(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *storage.Storage) {
		ctx := context.Background()
		st := paidStore(t, s, 2)
		rows, _ := s.OutboxByRef(ctx, "QCLAIM00000000")
		var ev model.OutboxRow
		for _, r := range rows {
			if r.StandID == "qrs-claim-0001" {
				ev = r
			}
		}
		o, _ := s.Order(ctx, "QCLAIM00000000")
		paidAt := o.PaidAt
		l := &mqtt.Ledger{Ref: ev.ID, Event: mqtt.KindPaymentPaid, OrderNo: "QCLAIM00000000", JournaledAt: paidAt.Add(time.Second),
			Announce: mqtt.AnnounceSpoken, AnnouncedAt: paidAt.Add(2 * time.Second), Print: mqtt.PrintPaperOut}
		// The other stand cannot report this stand's event.
		if ok, err := s.RecordLedger(ctx, "qrs-claim-0002", l, paidAt); err != nil || ok {
			t.Fatalf("foreign report recorded: %v %v", ok, err)
		}
		l2 := *l
		l2.Ref = mqtt.NewID(paidAt)
		if ok, _ := s.RecordLedger(ctx, "qrs-claim-0001", &l2, paidAt); ok {
			t.Fatal("report of an unknown event recorded")
		}
		if ok, err := s.RecordLedger(ctx, "qrs-claim-0001", l, paidAt); err != nil || !ok {
			t.Fatalf("RecordLedger: %v %v", ok, err)
		}
		l.Print, l.PrintedAt = mqtt.PrintPrinted, paidAt.Add(5*time.Second)
		if ok, err := s.RecordLedger(ctx, "qrs-claim-0001", l, paidAt); err != nil || !ok {
			t.Fatalf("second report: %v %v", ok, err)
		}
		lines, err := s.OrderLedger(ctx, "QCLAIM00000000")
		if err != nil || len(lines) != 2 {
			t.Fatalf("OrderLedger = %+v, %v", lines, err)
		}
		got := lines[0].Ledger
		if lines[0].StandID != "qrs-claim-0001" || got == nil || got.Print != mqtt.PrintPrinted || !got.PrintedAt.Equal(paidAt.Add(5*time.Second)) ||
			!got.AnnouncedAt.Equal(paidAt.Add(2*time.Second)) || lines[1].Ledger != nil {
			t.Errorf("order ledger = %+v / %+v", lines[0], lines[1])
		}
		evs, _ := s.StandEvents(ctx, "qrs-claim-0001", 10)
		if len(evs) != 2 || evs[0].Ref != "QCLAIM00000001" || evs[1].Ledger == nil {
			t.Errorf("stand events = %+v", evs)
		}
		un, err := s.UnannouncedPayments(ctx, storage.UnannouncedFilter{Since: paidAt.Add(-time.Hour), Within: 10 * time.Second, Now: paidAt.Add(time.Minute), StoreID: st.ID})
		if err != nil || len(un) != 1 || un[0].OrderNo != "QCLAIM00000001" {
			t.Errorf("unannounced (10 s) = %+v, %v", un, err)
		}
		un, _ = s.UnannouncedPayments(ctx, storage.UnannouncedFilter{Since: paidAt.Add(-time.Hour), Within: time.Second, Now: paidAt.Add(time.Minute)})
		if len(un) != 2 {
			t.Errorf("unannounced (1 s) = %+v, want both (announced 2 s late)", un)
		}
		un, _ = s.UnannouncedPayments(ctx, storage.UnannouncedFilter{Since: paidAt.Add(-time.Hour), Within: 10 * time.Second, Now: paidAt.Add(5 * time.Second)})
		if len(un) != 0 {
			t.Errorf("payments still in their window listed: %+v", un)
		}
	})
}

// TestAlerts: only opted-in managers and admins of the store get alerts;
// an alert is sent once while active, and again after clearing only past
// the quiet period.
func TestAlerts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *storage.Storage) {
		ctx := context.Background()
		f := setup(t, s)
		mgr, code, err := s.AddStaff(ctx, storage.StaffInput{MerchantID: f.merchant.ID, StoreID: f.store.ID, Role: model.RoleManager, Name: "李店长"}, ttl, t0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Activate(ctx, code.Token, model.RoleManager, f.store.ID, "openid-mgr", false, t0); err != nil {
			t.Fatal(err)
		}
		if rs, _ := s.AlertRecipients(ctx, f.store.ID); len(rs) != 0 {
			t.Fatalf("recipients before opt-in: %+v", rs)
		}
		if err := s.SetAlertOptIn(ctx, mgr.ID, true, t0); err != nil {
			t.Fatal(err)
		}
		rs, err := s.AlertRecipients(ctx, f.store.ID)
		if err != nil || len(rs) != 1 || rs[0].ID != mgr.ID {
			t.Fatalf("recipients = %+v, %v", rs, err)
		}
		if on, _ := s.AlertOptedIn(ctx, mgr.ID); !on {
			t.Error("AlertOptedIn false after opting in")
		}
		n := 0
		build := func() ([]storage.Template, error) {
			n++
			b, _ := json.Marshal(map[string]string{"touser": "openid-mgr"})
			return []storage.Template{{ID: mqtt.NewID(t0), ToOpenID: "openid-mgr", Payload: b}}, nil
		}
		quiet := 30 * time.Minute
		raise := func(at time.Time) bool {
			t.Helper()
			sent, err := s.RaiseAlert(ctx, "qrs-a", "paper_out", at, quiet, build)
			if err != nil {
				t.Fatal(err)
			}
			return sent
		}
		if !raise(t0) || raise(t0.Add(time.Minute)) {
			t.Fatal("want sent once while active")
		}
		if a, _ := s.ActiveAlerts(ctx, "qrs-a"); len(a) != 1 {
			t.Errorf("active = %v", a)
		}
		s.ClearAlert(ctx, "qrs-a", "paper_out")
		if raise(t0.Add(10 * time.Minute)) {
			t.Error("raised again inside the quiet period and sent")
		}
		s.ClearAlert(ctx, "qrs-a", "paper_out")
		if !raise(t0.Add(time.Hour)) || n != 2 {
			t.Errorf("after the quiet period: n=%d", n)
		}
		// The offline check: a bound stand offline since before the cutoff,
		// until its offline alert is active.
		if _, err := s.RegisterStand(ctx, "qrs-off-0001", "sec", t0); err != nil {
			t.Fatal(err)
		}
		s.SetPairCode(ctx, "qrs-off-0001", "11112222", t0.Add(time.Hour))
		if _, err := s.PairStand(ctx, "qrs-off-0001", "11112222", f.store.ID, t0); err != nil {
			t.Fatal(err)
		}
		s.SetStandPresence(ctx, "qrs-off-0001", false, t0)
		if off, err := s.OfflineStands(ctx, t0.Add(-time.Minute)); err != nil || len(off) != 0 {
			t.Errorf("offline before the cutoff: %+v %v", off, err)
		}
		if off, _ := s.OfflineStands(ctx, t0.Add(time.Minute)); len(off) != 1 || off[0].ID != "qrs-off-0001" {
			t.Errorf("offline stands = %+v", off)
		}
		if _, err := s.RaiseAlert(ctx, "qrs-off-0001", storage.AlertKindOffline, t0, quiet, func() ([]storage.Template, error) { return nil, nil }); err != nil {
			t.Fatal(err)
		}
		if off, _ := s.OfflineStands(ctx, t0.Add(time.Minute)); len(off) != 0 {
			t.Errorf("an alerted stand is still a candidate: %+v", off)
		}
		rows, _ := s.OutboxByRef(ctx, "alert:qrs-a")
		if len(rows) != 2 || rows[0].Kind != model.OutboxTemplate || rows[0].ToOpenID != "openid-mgr" {
			t.Errorf("alert rows = %+v", rows)
		}
	})
}
