package nodelink

import (
	"fmt"

	"github.com/qrstand/qrstand/mqtt"
)

// Uplink is one decoded message from a stand: on its up topic, or its
// retained presence on its state topic.
type Uplink struct {
	Stand   string
	Channel mqtt.Channel // mqtt.ChannelUp or mqtt.ChannelState
	Msg     mqtt.Message // zero when Cleared
	// Cleared is an empty retained message on the state topic: the stand's
	// presence was removed, so it is no longer known to be offline.
	Cleared bool
	// Retained marks a retained message the broker replayed on subscribe
	// (a presence from before this connection), not one sent just now.
	Retained bool
}

// Kind is what the uplink is routed by: a cleared presence is a presence.
func (u Uplink) Kind() mqtt.Kind {
	if u.Cleared {
		return mqtt.KindPresence
	}
	return u.Msg.Type
}

// Decode turns one received message into an uplink. Only a presence may
// arrive on a state topic and none on an up topic; a message on any other
// topic is refused too (the service may subscribe to nothing else, but a
// broker's bug should not reach the handlers).
func Decode(topic string, payload []byte, retained bool) (Uplink, error) {
	id, ch, ok := mqtt.ParseTopic(topic)
	if !ok || (ch != mqtt.ChannelUp && ch != mqtt.ChannelState) {
		return Uplink{}, fmt.Errorf("nodelink: not a stand uplink topic")
	}
	u := Uplink{Stand: id, Channel: ch, Retained: retained}
	if ch == mqtt.ChannelState && len(payload) == 0 {
		u.Cleared = true
		return u, nil
	}
	m, err := mqtt.Unmarshal(payload)
	if err != nil {
		return Uplink{}, err
	}
	if _, presence := m.Body.(*mqtt.Presence); presence != (ch == mqtt.ChannelState) {
		return Uplink{}, fmt.Errorf("nodelink: %s on the %s topic", m.Type, ch)
	}
	u.Msg = m
	return u, nil
}
