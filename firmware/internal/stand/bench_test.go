package stand

import (
	"fmt"
	"slices"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/qrstand/qrstand/mqtt"
)

// BenchmarkEventToAck measures a payment.paid published by the cloud until
// the stand's ack arrives back at the cloud, over the embedded broker on
// loopback: decode, SQLite insert with synchronous=FULL (an fsync), ack
// publish. Run: go test ./firmware/internal/stand -run X -bench EventToAck -benchtime 200x
func BenchmarkEventToAck(b *testing.B) {
	r := newRigB(b)
	run := r.start(opts{})
	defer run.stop()
	acks := make(chan string, 1024)
	r.cloud.OnUp(func(m mqtt.Message) {
		if a, ok := m.Body.(*mqtt.Ack); ok {
			acks <- a.Ref
		}
	})
	r.cloud.Send(r.id, storeConfig(), 0)
	<-acks
	measureAcks(b, r, acks, "B")
}

// BenchmarkRawRoundTrip is the floor under BenchmarkEventToAck: the same
// envelope published by the cloud to a stand identity that echoes an ack
// at once (QoS 1 both ways, no journal, no decoding beyond the envelope),
// on the same embedded broker.
func BenchmarkRawRoundTrip(b *testing.B) {
	r := newRigB(b)
	startEcho(b, r.b.URL, r.id, r.secret)
	acks := make(chan string, 1024)
	r.cloud.OnUp(func(m mqtt.Message) {
		if a, ok := m.Body.(*mqtt.Ack); ok {
			acks <- a.Ref
		}
	})
	measureAcks(b, r, acks, "R")
}

// measureAcks sends b.N payments one at a time and reports the p50 and p99
// of send → matching ack.
func measureAcks(b *testing.B, r *rig, acks <-chan string, prefix string) {
	b.Helper()
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		m := r.cloud.Send(r.id, paid(fmt.Sprintf("%s%06d", prefix, i), 100, time.Now()), int64(i+1))
		for ref := range acks {
			if ref == m.ID {
				break
			}
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// startEcho connects a stand identity that acks every envelope sent to it
// at once (QoS 1 both ways, no journal): the raw round trip floor.
func startEcho(b *testing.B, broker, id, secret string) {
	b.Helper()
	echo := paho.NewClient(paho.NewClientOptions().AddBroker(broker).SetClientID(id).
		SetUsername(id).SetPassword(secret).SetCleanSession(true))
	if tok := echo.Connect(); !tok.WaitTimeout(wait) || tok.Error() != nil {
		b.Fatal(tok.Error())
	}
	b.Cleanup(func() { echo.Disconnect(50) })
	tok := echo.Subscribe(mqtt.DownTopic(id), 1, func(c paho.Client, pm paho.Message) {
		m, err := mqtt.Unmarshal(pm.Payload())
		if err != nil {
			return
		}
		ack, _ := mqtt.New(&mqtt.Ack{Ref: m.ID, Result: mqtt.AckDone}, time.Now()).Marshal()
		c.Publish(mqtt.UpTopic(id), 1, false, ack)
	})
	if !tok.WaitTimeout(wait) || tok.Error() != nil {
		b.Fatal(tok.Error())
	}
}
