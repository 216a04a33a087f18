package broker

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/qrstand/qrstand/mqtt"
)

// authHook authenticates stands and the cloud service and enforces the ACL.
type authHook struct {
	mochi.HookBase
	cfg *Config
	log *slog.Logger
}

func (h *authHook) ID() string { return "qrstand-auth" }

func (h *authHook) Provides(b byte) bool {
	return bytes.Contains([]byte{mochi.OnConnectAuthenticate, mochi.OnACLCheck}, []byte{b})
}

func (h *authHook) isService(user string) bool {
	return h.cfg.ServiceUser != "" && user == h.cfg.ServiceUser
}

// OnConnectAuthenticate checks the CONNECT credentials. A false answer is
// CONNACK 0x05 "not authorized" and mochi closes the connection
// [MQTT-3.2.2-5]. The client id must be the username, so a stand that
// reconnects takes over its own session and the broker drops the older
// connection with the same id [MQTT-3.1.4-2].
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
		return true
	}
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
	return true
}

// OnACLCheck allows a stand only its own topics and the service only the
// stand namespace, in the directions DESIGN §4 gives them. A denied
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
