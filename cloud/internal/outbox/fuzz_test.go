package outbox

import (
	"context"
	"testing"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/nodelink"
	"github.com/qrstand/qrstand/cloud/internal/payment/paytest"
	"github.com/qrstand/qrstand/cloud/internal/wechatsim"
	"github.com/qrstand/qrstand/mqtt"
)

// FuzzHandleUp: whatever arrives on an up topic never panics, and a stand
// row is marked delivered only by a well-formed ack naming that row, sent
// on that row's stand's up topic.
func FuzzHandleUp(f *testing.F) {
	w := paytest.New(f, paytest.Options{})
	w.Sim.SetFaults(wechatsim.Faults{SuppressNotify: true})
	c := w.Place(f, "1.00")
	if err := w.Sim.Pay(c.Prepay.PrepayID); err != nil {
		f.Fatal(err)
	}
	ctx := context.Background()
	if _, err := w.Svc.Reconcile(ctx, 0); err != nil {
		f.Fatal(err)
	}
	rows, err := w.St.OutboxByRef(ctx, c.Order.OutTradeNo)
	if err != nil || len(rows) == 0 || rows[0].Kind != model.OutboxStand {
		f.Fatalf("rows %+v %v", rows, err)
	}
	row := rows[0]
	now := time.Now()
	ack := func(ref string) []byte {
		b, _ := mqtt.New(&mqtt.Ack{Ref: ref, Result: mqtt.AckDone}, now).Marshal()
		return b
	}
	hello, _ := mqtt.New(&mqtt.Hello{Firmware: "1.0", BootID: "b", Paired: true, LastSeq: 3}, now).Marshal()
	f.Add(mqtt.UpTopic(row.StandID), ack(row.ID))
	f.Add(mqtt.UpTopic(row.StandID), hello)
	f.Add(mqtt.UpTopic("qrs-other-0001"), ack(row.ID))
	f.Add(mqtt.DownTopic(row.StandID), ack(row.ID))
	f.Add("qrs/v1/d/+/up", ack(row.ID))
	f.Add(mqtt.UpTopic(row.StandID), []byte(`{"v":1,"id":"x","type":"ack","ts":"2026-11-25T04:00:00Z","body":{"ref":"`+row.ID+`"}}`))
	f.Add(mqtt.UpTopic(row.StandID), []byte("\x00\xff{"))

	link, err := nodelink.New(nodelink.Config{User: "qrstand_cloud", Secret: "s"})
	if err != nil {
		f.Fatal(err)
	}
	d, err := New(Config{Link: link}, w.St)
	if err != nil {
		f.Fatal(err)
	}
	// What the link's handler does: decode once, then hand to the queue.
	handleUp := func(topic string, payload []byte) {
		if u, err := nodelink.Decode(topic, payload, false); err == nil {
			d.handleUp(ctx, u)
		}
	}
	// The check below is not vacuous: the right ack does deliver.
	handleUp(mqtt.UpTopic(row.StandID), ack(row.ID))
	if got, _ := w.St.OutboxByRef(ctx, row.Ref); got[0].ID != row.ID || got[0].State != model.OutboxDelivered {
		f.Fatalf("a correct ack did not deliver: %+v", got)
	}
	if _, err := w.St.DB().ExecContext(ctx, `UPDATE outbox SET state = 'pending', delivered_at = NULL`); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, topic string, payload []byte) {
		handleUp(topic, payload)
		got, err := w.St.OutboxByRef(ctx, row.Ref)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range got {
			if r.State != model.OutboxDelivered {
				continue
			}
			m, err := mqtt.Unmarshal(payload)
			a, isAck := m.Body.(*mqtt.Ack)
			if err != nil || !isAck || a.Ref != r.ID || topic != mqtt.UpTopic(r.StandID) {
				t.Fatalf("row %s of %s marked delivered by %q %q", r.ID, r.StandID, topic, payload)
			}
		}
		if _, err := w.St.DB().ExecContext(ctx, `UPDATE outbox SET state = 'pending', delivered_at = NULL`); err != nil {
			t.Fatal(err)
		}
	})
}
