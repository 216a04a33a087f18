package standclient

import (
	"errors"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/qrstand/qrstand/mqtt"
)

// dispatch runs in paho's router goroutine, one message at a time.
func (c *Client) dispatch(_ paho.Client, pm paho.Message) {
	c.mu.Lock()
	ctx := c.runCtx
	c.mu.Unlock()

	m, err := mqtt.Unmarshal(pm.Payload())
	if err != nil {
		var de *mqtt.DecodeError
		ref := ""
		if errors.As(err, &de) {
			ref = de.ID
		}
		result := mqtt.AckRejected
		if errors.Is(err, mqtt.ErrUnknownType) {
			result = mqtt.AckIgnored // a newer cloud; not an error of the message
		}
		c.log.Warn("mqtt message refused", "topic", pm.Topic(), "bytes", len(pm.Payload()), "err", err, "result", result)
		if ref != "" {
			c.ack(ref, result, err.Error())
		}
		pm.Ack() // it can never be handled; do not let it block the queue
		return
	}

	c.mu.Lock()
	h := c.handlers[m.Type]
	c.mu.Unlock()
	if h == nil {
		c.log.Info("mqtt message without handler", "type", m.Type, "id", m.ID)
		c.ack(m.ID, mqtt.AckIgnored, "")
		pm.Ack()
		return
	}
	switch err := h(ctx, m); {
	case err == nil:
		c.ack(m.ID, mqtt.AckDone, "")
	case errors.Is(err, ErrDuplicate):
		c.ack(m.ID, mqtt.AckDuplicate, "")
	case errors.Is(err, ErrReject):
		c.log.Warn("mqtt message rejected by handler", "type", m.Type, "id", m.ID, "err", err)
		c.ack(m.ID, mqtt.AckRejected, err.Error())
	default:
		// Not acked: the broker redelivers on the next connection
		// [MQTT-4.4.0-1] and the cloud's outbox resends it.
		c.log.Error("mqtt handler failed; message left unacknowledged", "type", m.Type, "id", m.ID, "err", err)
		return
	}
	pm.Ack()
}

// Handler results other than nil that still acknowledge the message.
var (
	// ErrDuplicate: the message was handled before; it is acked as
	// "duplicate" and nothing else happens.
	ErrDuplicate = errors.New("standclient: duplicate")
	// ErrReject: the message can never be handled (e.g. for another
	// store); it is acked as "rejected" with the error text.
	ErrReject = errors.New("standclient: rejected")
)

// ack publishes an application-level ack without waiting: paho's router must
// not block on a publish token. The file store keeps it until the broker
// has it.
func (c *Client) ack(ref, result, reason string) {
	a := &mqtt.Ack{Ref: ref, Result: result, Error: truncate(reason)}
	payload, err := mqtt.New(a, c.cfg.Now()).Marshal()
	if err != nil {
		c.log.Error("mqtt ack encode failed", "ref", ref, "err", err)
		return
	}
	c.pc.Publish(mqtt.UpTopic(c.cfg.DeviceID), 1, false, payload)
}

func truncate(s string) string {
	if len(s) > 200 {
		return s[:200]
	}
	return s
}
