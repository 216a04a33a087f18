package loadkit

import (
	"context"
	"fmt"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/qrstand/qrstand/mqtt"
)

// Echo measures the broker's plain QoS 1 round trip: PUBLISH → PUBACK on
// the echo stand's own up topic, once every interval until ctx ends. The
// ACL lets a stand read only its down and config topics, which only the
// cloud may write, so no topic lets a stand hear itself; the PUBACK is the
// broker's answer. The payload is an empty object, which the cloud drops.
func Echo(ctx context.Context, broker string, p Provision, every time.Duration) ([]time.Duration, error) {
	opts := paho.NewClientOptions().AddBroker(broker).SetClientID(p.DeviceID).SetUsername(p.DeviceID).SetPassword(p.Secret).
		SetAutoReconnect(false).SetConnectTimeout(10 * time.Second).SetCleanSession(true)
	c := paho.NewClient(opts)
	if t := c.Connect(); !t.WaitTimeout(10*time.Second) || t.Error() != nil {
		return nil, fmt.Errorf("loadkit: echo connect: %v", t.Error())
	}
	defer c.Disconnect(100)
	var out []time.Duration
	for n := 0; n < 1_000_000; n++ {
		select {
		case <-ctx.Done():
			return out, nil
		case <-time.After(every):
		}
		t0 := time.Now()
		t := c.Publish(mqtt.UpTopic(p.DeviceID), 1, false, []byte("{}"))
		if !t.WaitTimeout(10*time.Second) || t.Error() != nil {
			return out, fmt.Errorf("loadkit: echo publish: %v", t.Error())
		}
		out = append(out, time.Since(t0))
	}
	return out, nil
}
