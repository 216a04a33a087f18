package broker_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/mqtttest"
)

// TestOwnPacketIDKeepsDelivery: packet ids of the two directions are
// independent [MQTT-2.3.1-2]. A stand that publishes with the id of a
// delivery it has not acknowledged yet must still get that delivery again
// on its next connection — in memory, and from the store across a broker
// restart. mochi v2.7.9 alone drops it (see pktidHook).
func TestOwnPacketIDKeepsDelivery(t *testing.T) {
	for _, persistent := range []bool{false, true} {
		name := map[bool]string{false: "memory", true: "persistent"}[persistent]
		t.Run(name, func(t *testing.T) {
			const id = "stand-0001"
			b := mqtttest.Start(t, mqtttest.Options{Persistent: persistent})
			secret := b.AddStand(id)

			connect := func() *rawConn {
				rc := dialRaw(t, b.Addr, 4)
				cp := connectPacket(id, id, secret)
				cp.Connect.Clean = false
				if code, err := rc.connect(cp); err != nil || code != 0 {
					t.Fatalf("connect: %#x %v", code, err)
				}
				return rc
			}
			stand := connect()
			if err := stand.send(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Subscribe, Qos: 1}, PacketID: 1,
				Filters: packets.Subscriptions{{Filter: mqtt.DownTopic(id), Qos: 1}}}); err != nil {
				t.Fatal(err)
			}
			if ack, err := stand.read(); err != nil || ack.FixedHeader.Type != packets.Suback {
				t.Fatalf("SUBACK: %+v %v", ack, err)
			}

			cloud := mustRaw(t, b.URL, mqtttest.ServiceUser, mqtttest.ServiceUser, b.ServiceSecret, true)
			defer cloud.Disconnect(50)
			payment, err := mqtt.New(&mqtt.PaymentPaid{OrderNo: "QS000001", Channel: mqtt.ChannelWeChat, AmountFen: 1250,
				PaidAt: time.Now().UTC(), StoreID: "st_1"}, time.Now()).Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if tok := cloud.Publish(mqtt.DownTopic(id), 1, false, payment); !tok.WaitTimeout(wait) || tok.Error() != nil {
				t.Fatalf("publish: %v", tok.Error())
			}
			got, err := stand.read()
			if err != nil || got.FixedHeader.Type != packets.Publish || !bytes.Equal(got.Payload, payment) {
				t.Fatalf("delivery: %s %q %v", packets.PacketNames[got.FixedHeader.Type], got.Payload, err)
			}

			// Not acknowledged; the stand publishes with the same id.
			ack, err := mqtt.New(&mqtt.Ack{Ref: mqtt.NewID(time.Now()), Result: mqtt.AckDone}, time.Now()).Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if err := stand.send(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish, Qos: 1},
				PacketID: got.PacketID, TopicName: mqtt.UpTopic(id), Payload: ack}); err != nil {
				t.Fatal(err)
			}
			if pa, err := stand.read(); err != nil || pa.FixedHeader.Type != packets.Puback || pa.PacketID != got.PacketID {
				t.Fatalf("PUBACK for the stand's publish: %+v %v", pa, err)
			}
			if err := stand.send(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Disconnect}}); err != nil {
				t.Fatal(err)
			}
			stand.waitClosed()
			if persistent {
				b.Restart()
			}

			again := connect()
			re, err := again.read()
			if err != nil || re.FixedHeader.Type != packets.Publish || !bytes.Equal(re.Payload, payment) {
				t.Fatalf("after reconnecting, want the unacknowledged payment again; got %s %q (%v)",
					packets.PacketNames[re.FixedHeader.Type], re.Payload, err)
			}
			if !re.FixedHeader.Dup {
				t.Errorf("redelivery without DUP [MQTT-3.3.1-1]")
			}
		})
	}
}
