package server

import (
	"context"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/storage"
	"github.com/qrstand/qrstand/cloud/internal/ui"
	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/mqtttest"
)

// TestRekeyEndsSession: re-keying a stand ends its live session on the
// embedded broker at once, the old secret is refused and the new one
// works; revoking refuses every secret.
func TestRekeyEndsSession(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	id, secret := registerStand(t, ts)
	lost := make(chan struct{})
	// A bare connection as the stand, whose loss the test can watch.
	opts := paho.NewClientOptions().AddBroker("tcp://" + ts.mqttAddr).SetClientID(id).SetUsername(id).
		SetPassword(secret).SetCleanSession(false).SetAutoReconnect(false).
		SetConnectionLostHandler(func(paho.Client, error) { close(lost) })
	c := paho.NewClient(opts)
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	defer c.Disconnect(100)

	newSecret := mqtt.NewSecret()
	if err := ts.Storage().RekeyStand(ctx, id, newSecret); err != nil {
		t.Fatal(err)
	}
	if err := ts.kicker.StandCredentialsChanged(ctx, id, "", ui.CredentialsRekeyed); err != nil {
		t.Fatal(err)
	}
	select {
	case <-lost:
	case <-time.After(10 * time.Second):
		t.Fatal("the live session survived the re-key")
	}
	connect := func(secret string) error {
		o := paho.NewClientOptions().AddBroker("tcp://" + ts.mqttAddr).SetClientID(id).SetUsername(id).SetPassword(secret).
			SetCleanSession(false).SetAutoReconnect(false).SetConnectRetry(false)
		cl := paho.NewClient(o)
		tok := cl.Connect()
		if !tok.WaitTimeout(10 * time.Second) {
			t.Fatal("connect timed out")
		}
		if tok.Error() == nil {
			cl.Disconnect(50)
		}
		return tok.Error()
	}
	if err := connect(secret); err == nil {
		t.Error("the old secret still connects")
	}
	if err := connect(newSecret); err != nil {
		t.Errorf("the new secret: %v", err)
	}
	if err := ts.Storage().RevokeStand(ctx, id, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := connect(newSecret); err == nil {
		t.Error("a revoked stand connects")
	}
}

// TestStandAlerts: an opted-in manager gets one battery-low message while
// the battery stays low, and one offline message once the stand has been
// offline longer than OfflineAfter within business hours; a manager who
// did not opt in gets none.
func TestStandAlerts(t *testing.T) {
	ts := startServerWith(t, func(c *Config) {
		c.Alerts = AlertsConfig{OfflineAfter: time.Second, CheckEvery: 100 * time.Millisecond, BusinessStart: "00:00", BusinessEnd: "23:59"}
	}, nil)
	st := ts.Storage()
	ctx := context.Background()
	now := time.Now()
	sh := newShop(t, ts, plainShop)
	m, store, mcode := sh.merchant, sh.store, sh.managerCode
	mgr, err := st.Activate(ctx, mcode.Token, model.RoleManager, store.ID, "o-manager-0000000000001", false, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetAlertOptIn(ctx, mgr.ID, true, now); err != nil {
		t.Fatal(err)
	}
	_, ocode, _ := st.AddStaff(ctx, storage.StaffInput{MerchantID: m.ID, StoreID: store.ID, Role: model.RoleManager, Name: "不订阅"}, time.Hour, now)
	if _, err := st.Activate(ctx, ocode.Token, model.RoleManager, store.ID, "o-manager-0000000000002", false, now); err != nil {
		t.Fatal(err)
	}
	stand := pairedStand(t, ts, store.ID)
	low := &mqtt.Status{Firmware: "t", BatteryPct: 12, OnBattery: true, Paper: mqtt.PaperOK, Volume: 50}
	stand.Send(low)
	alerts := func(kind string) []string {
		var out []string
		for _, m := range ts.WeChatPaySim().Messages() {
			if m.TemplateID == "qrstand-stand-alert" && strings.Contains(m.ClientMsgID, "-"+kind+"-") {
				out = append(out, m.ToUser)
			}
		}
		return out
	}
	mqtttest.WaitFor(t, "battery alert", func() bool { return len(alerts("battery_low")) > 0 })
	// Still low: no second message. A message's id names its raise second,
	// which would hide a second raise within the same second; so the status
	// comes again in a later second than the first raise.
	raised := time.Now().Unix()
	mqtttest.WaitFor(t, "a later second", func() bool { return time.Now().Unix() > raised })
	stand.Send(low)
	// The stand shuts down (its presence says offline); after OfflineAfter
	// the offline alert follows. The offline message is the marker that the
	// second low status was processed long before.
	stand.Stop()
	mqtttest.WaitFor(t, "offline alert", func() bool { return len(alerts("offline")) > 0 })
	if got := alerts("battery_low"); len(got) != 1 || got[0] != "o-manager-0000000000001" {
		t.Errorf("battery alerts to %v, want one to the opted-in manager", got)
	}
	if got := alerts("offline"); len(got) != 1 || got[0] != "o-manager-0000000000001" {
		t.Errorf("offline alerts to %v", got)
	}
}
