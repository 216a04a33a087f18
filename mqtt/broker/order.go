package broker

import (
	"bytes"
	"log/slog"
	"sync"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/qrstand/qrstand/mqtt"
)

// orderHook makes mochi resend a stand's queued messages in publish order.
// See the package documentation for why: it replaces each QoS 1 message's
// Created (seconds, compared as uint16) with a per-stand counter. The
// counter restarts at 1 whenever the stand has nothing in flight, so it stays
// far below the uint16 wrap as long as fewer than 65536 messages are
// published to one stand while any of them is still unacknowledged — the
// broker keeps at most MaxQueuedPerStand (≤ 65535) anyway.
type orderHook struct {
	mochi.HookBase
	srv *mochi.Server
	log *slog.Logger

	// maxQueued bounds a stand's messages in flight (Config.MaxQueuedPerStand):
	// mochi's own quota is sized for the cloud's session.
	maxQueued int

	mu   sync.Mutex
	last map[string]int64 // device id → last stamp
}

func (h *orderHook) ID() string { return "qrstand-order" }

func (h *orderHook) Provides(b byte) bool {
	return bytes.Contains([]byte{mochi.OnPublish}, []byte{b})
}

// OnPublish runs after mochi set Created and before the message is queued
// for subscribers (server.go processPublish in v2.7.9).
func (h *orderHook) OnPublish(cl *mochi.Client, pk packets.Packet) (packets.Packet, error) {
	if pk.FixedHeader.Qos == 0 {
		return pk, nil
	}
	id, ch, ok := mqtt.ParseTopic(pk.TopicName)
	if !ok || (ch != mqtt.ChannelDown && ch != mqtt.ChannelConfig) {
		return pk, nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	next := h.last[id] + 1
	stand, ok := h.srv.Clients.Get(id)
	if ok && h.maxQueued > 0 && stand.State.Inflight.Len() >= h.maxQueued {
		// Acknowledged to the cloud and not delivered, as mochi does past
		// its quota: the outbox sends the row again once the stand catches up.
		h.log.Warn("stand queue full; message dropped", "stand", id, "queued", stand.State.Inflight.Len())
		return pk, packets.CodeSuccessIgnore
	}
	if !ok || stand.State.Inflight.Len() == 0 {
		next = 1
	}
	if next > 0xffff {
		h.log.Warn("mqtt resend order window exceeded; queued messages may be resent out of order", "stand", id)
	}
	h.last[id] = next
	pk.Created = next
	return pk, nil
}

// seed continues each stand's counter after the highest stamp restored from
// storage, so messages published after a restart sort after the ones queued
// before it.
func (h *orderHook) seed() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for id, cl := range h.srv.Clients.GetAll() {
		for _, pk := range cl.State.Inflight.GetAll(false) {
			if pk.Created > h.last[id] {
				h.last[id] = pk.Created
			}
		}
	}
}
