package broker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/qrstand/qrstand/mqtt"
)

// authHook authenticates stands and the cloud service and enforces the ACL
// on every route by which a client's bytes reach a topic: a PUBLISH (topic,
// retain flag, QoS, size, MQTT 5 response topic), a will (checked as a
// publish at CONNECT), and a subscription.
type authHook struct {
	mochi.HookBase
	cfg *Config
	srv *mochi.Server
	log *slog.Logger
}

func (h *authHook) ID() string { return "qrstand-auth" }

func (h *authHook) Provides(b byte) bool {
	return bytes.Contains([]byte{mochi.OnConnectAuthenticate, mochi.OnACLCheck, mochi.OnPublish}, []byte{b})
}

func (h *authHook) isService(user string) bool {
	return h.cfg.ServiceUser != "" && user == h.cfg.ServiceUser
}

// OnConnectAuthenticate checks the CONNECT credentials. A false answer is
// CONNACK 0x05 "not authorized" and mochi closes the connection
// [MQTT-3.2.2-5]. The client id must be the username, so a stand that
// reconnects takes over its own session and the broker drops the older
// connection with the same id [MQTT-3.1.4-2].
// Then the will is checked as if it were a PUBLISH from that client: mochi
// publishes a will without any ACL check (and its OnWill hook cannot veto
// one), so a will that would not pass as a PUBLISH refuses the whole CONNECT.
func (h *authHook) OnConnectAuthenticate(cl *mochi.Client, pk packets.Packet) bool {
	user := string(pk.Connect.Username)
	deny := func(reason string, args ...any) bool {
		h.log.Warn("mqtt connect denied", append([]any{"client", cl.ID, "user", user, "remote", cl.Net.Remote, "reason", reason}, args...)...)
		return false
	}
	if h.isService(user) {
		if cl.ID != user && !strings.HasPrefix(cl.ID, user+"-") {
			return deny("service client id must be the service user or start with it and '-'")
		}
		if !mqtt.CheckSecret(h.cfg.ServiceSecretHash, string(pk.Connect.Password)) {
			return deny("bad service secret")
		}
	} else {
		if cl.ID != user {
			return deny("client id must equal username")
		}
		if !mqtt.ValidDeviceID(user) {
			return deny("username is not a valid device id")
		}
		ctx, cancel := context.WithTimeout(context.Background(), h.cfg.AuthTimeout)
		defer cancel()
		hash, err := h.cfg.Stands.StandSecretHash(ctx, user)
		switch {
		case errors.Is(err, ErrUnknownStand):
			return deny("unknown stand")
		case err != nil:
			return deny("lookup failed", "err", err)
		case !mqtt.CheckSecret(hash, string(pk.Connect.Password)):
			return deny("bad secret")
		}
	}
	if pk.Connect.WillFlag {
		w := pk.Connect
		if reason := h.mayPublish(user, w.WillTopic, w.WillQos, w.WillRetain, len(w.WillPayload), w.WillProperties.ResponseTopic); reason != "" {
			// Topic, flags and size only: never the will's content.
			return deny("will refused: "+reason, "will_topic", w.WillTopic, "will_qos", w.WillQos,
				"will_retain", w.WillRetain, "will_bytes", len(w.WillPayload))
		}
	}
	return true
}

// OnACLCheck allows a stand only its own topics and the service only the
// stand namespace, in the directions DESIGN §4 gives them. mochi calls it
// for a PUBLISH (write, with the topic as sent, before any topic alias is
// resolved), a SUBSCRIBE and each delivery (read). A denied
// subscription gets the SUBACK failure code 0x80 [MQTT-3.9.3-2]; MQTT 3.1.1
// has no negative PUBACK, so a denied QoS 1 publish closes the connection
// [MQTT-3.3.5-2].
func (h *authHook) OnACLCheck(cl *mochi.Client, topic string, write bool) bool {
	user := string(cl.Properties.Username)
	var ok bool
	switch {
	case h.isService(user) && write:
		ok = mqtt.ServiceMayPublish(topic)
	case h.isService(user):
		ok = mqtt.ServiceMaySubscribe(topic)
	case write:
		ok = mqtt.StandMayPublish(user, topic)
	default:
		ok = mqtt.StandMaySubscribe(user, topic)
	}
	if !ok {
		op := "subscribe"
		if write {
			op = "publish"
		}
		h.log.Warn("mqtt acl denied", "client", cl.ID, "user", user, "op", op, "topic", topic)
	}
	return ok
}

// OnPublish checks the whole PUBLISH after mochi resolved it (topic alias
// applied, just before it is retained and delivered): the topic again, the
// retain flag, the QoS, the retained size and the MQTT 5 response topic. A
// refused QoS 0 message is dropped; a refused QoS 1 or 2 message also
// disconnects the client, as mochi does for an ACL refusal, since MQTT 3.1.1
// has no negative PUBACK. The cloud's in-process (inline) client is not
// enabled, so no publish bypasses this.
func (h *authHook) OnPublish(cl *mochi.Client, pk packets.Packet) (packets.Packet, error) {
	if cl.Net.Inline {
		return pk, nil
	}
	user := string(cl.Properties.Username)
	reason := h.mayPublish(user, pk.TopicName, pk.FixedHeader.Qos, pk.FixedHeader.Retain, len(pk.Payload), pk.Properties.ResponseTopic)
	if reason == "" {
		return pk, nil
	}
	h.log.Warn("mqtt publish denied", "client", cl.ID, "user", user, "topic", pk.TopicName, "qos", pk.FixedHeader.Qos,
		"retain", pk.FixedHeader.Retain, "bytes", len(pk.Payload), "reason", reason)
	if pk.FixedHeader.Qos > 0 {
		_ = h.srv.DisconnectClient(cl, packets.ErrNotAuthorized)
	}
	return pk, packets.ErrRejectPacket
}

// mayPublish is the one rule for a message a client makes the broker
// publish, whether a PUBLISH or a will. It returns "" when allowed, else
// why not (for the log).
func (h *authHook) mayPublish(user, topic string, qos byte, retain bool, size int, responseTopic string) string {
	service := h.isService(user)
	switch {
	case service && !mqtt.ServiceMayPublish(topic), !service && !mqtt.StandMayPublish(user, topic):
		return "topic not allowed"
	case qos > 1:
		// The wire uses QoS 1 throughout; QoS 2 only holds broker state.
		return "qos above 1"
	case retain && service && !mqtt.ServiceMayRetain(topic), retain && !service && !mqtt.StandMayRetain(user, topic):
		return "retain not allowed on this topic"
	case retain && size > h.cfg.MaxRetainedSize:
		return fmt.Sprintf("retained message over %d bytes", h.cfg.MaxRetainedSize)
	}
	// A response topic asks the receiver to publish there; a client may
	// only ask for answers on a topic it could read itself.
	if responseTopic != "" {
		if service && !mqtt.ServiceMaySubscribe(responseTopic) || !service && !mqtt.StandMaySubscribe(user, responseTopic) {
			return "response topic not allowed"
		}
	}
	return ""
}
