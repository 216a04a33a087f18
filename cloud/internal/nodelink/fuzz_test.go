package nodelink

import (
	"testing"
	"time"

	"github.com/qrstand/qrstand/mqtt"
)

// FuzzDecode: whatever arrives never panics, and what decodes names a
// valid stand, a presence exactly on its state topic and an empty payload
// only there.
func FuzzDecode(f *testing.F) {
	now := time.Now()
	presence, _ := mqtt.New(&mqtt.Presence{Online: true}, now).Marshal()
	hello, _ := mqtt.New(&mqtt.Hello{Firmware: "1", BootID: "b"}, now).Marshal()
	f.Add("qrs/v1/d/stand-0001/state", presence, false)
	f.Add("qrs/v1/d/stand-0001/up", hello, false)
	f.Add("qrs/v1/d/stand-0001/up", presence, true)
	f.Add("qrs/v1/d/stand-0001/state", hello, true)
	f.Add("qrs/v1/d/stand-0001/state", []byte{}, true)
	f.Add("qrs/v1/d/stand-0001/down", hello, false)
	f.Add("qrs/v1/d/+/up", hello, false)
	f.Fuzz(func(t *testing.T, topic string, payload []byte, retained bool) {
		u, err := Decode(topic, payload, retained)
		if err != nil {
			return
		}
		id, ch, ok := mqtt.ParseTopic(topic)
		if !ok || id != u.Stand || ch != u.Channel || u.Retained != retained {
			t.Fatalf("%q decoded as %+v", topic, u)
		}
		if u.Cleared != (ch == mqtt.ChannelState && len(payload) == 0) {
			t.Fatalf("cleared %v for %q %q", u.Cleared, topic, payload)
		}
		if (u.Kind() == mqtt.KindPresence) != (ch == mqtt.ChannelState) {
			t.Fatalf("%s on %s", u.Kind(), ch)
		}
	})
}
