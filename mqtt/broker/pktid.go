package broker

import (
	"bytes"
	"log/slog"
	"sync"
	"sync/atomic"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// pktidHook keeps a client's unacknowledged deliveries when the client
// publishes with the same packet identifier.
//
// MQTT gives each direction its own identifier space [MQTT-2.3.1-2]
// [MQTT-2.3.1-4]: a stand may publish its ack with packet id 10 while the
// broker still waits for the stand's PUBACK of the payment it delivered as
// id 10. mochi v2.7.9 keeps both directions in one map keyed by id, and an
// inbound QoS 1 PUBLISH deletes the entry with its id (server.go
// processPublish, "[MQTT-4.3.2-5]"), then stores and deletes its own
// PUBACK there (and in the persistent store, under the same key). The
// payment is then gone from the session: never resent on the next
// connection. Found as a rare test failure (TestAckAfterHandler); mochi
// issues #519/#545 describe the same mechanism.
//
// The hook sees the PUBLISH before mochi does (OnPacketRead), sets the
// delivery aside and puts it back once mochi has finished with the inbound
// flow (OnQosComplete for its PUBACK, which runs after the persistent
// store's own OnQosComplete because this hook is added last). Packets of
// one client are processed one at a time, in its read loop, so nothing of
// that client runs in between; a flow that ends early (a refused publish)
// is put back when the next packet of the client is read, or when it
// disconnects.
type pktidHook struct {
	mochi.HookBase
	srv     *mochi.Server
	persist mochi.Hook // the persistent store, or nil
	log     *slog.Logger

	n     atomic.Int32 // len(aside), read without the lock on every packet
	mu    sync.Mutex
	aside map[*mochi.Client]packets.Packet // client (this connection, not its id: a session taken over is another) → delivery set aside
}

func (h *pktidHook) ID() string { return "qrstand-pktid" }

func (h *pktidHook) Provides(b byte) bool {
	return bytes.Contains([]byte{mochi.OnPacketRead, mochi.OnQosComplete, mochi.OnDisconnect}, []byte{b})
}

func (h *pktidHook) OnPacketRead(cl *mochi.Client, pk packets.Packet) (packets.Packet, error) {
	h.restore(cl)
	if pk.FixedHeader.Type != packets.Publish || pk.FixedHeader.Qos == 0 || pk.PacketID == 0 {
		return pk, nil
	}
	if out, ok := cl.State.Inflight.Get(pk.PacketID); ok && out.FixedHeader.Type == packets.Publish {
		h.mu.Lock()
		if _, dup := h.aside[cl]; !dup {
			h.n.Add(1)
		}
		h.aside[cl] = out
		h.mu.Unlock()
	}
	return pk, nil
}

func (h *pktidHook) OnQosComplete(cl *mochi.Client, pk packets.Packet) {
	h.restore(cl)
}

func (h *pktidHook) OnDisconnect(cl *mochi.Client, _ error, _ bool) {
	h.restore(cl)
}

// restore puts back the delivery set aside for cl, unless its id was
// taken meanwhile (mochi reuses an id only after wrapping around 65535, so
// this is logged, not expected).
func (h *pktidHook) restore(cl *mochi.Client) {
	if h.n.Load() == 0 {
		return // the common case: nothing set aside
	}
	h.mu.Lock()
	out, ok := h.aside[cl]
	if ok {
		delete(h.aside, cl)
		h.n.Add(-1)
	}
	h.mu.Unlock()
	if !ok {
		return
	}
	if cur, taken := cl.State.Inflight.Get(out.PacketID); taken {
		if cur.FixedHeader.Type != packets.Publish || cur.Created != out.Created {
			h.log.Error("mqtt delivery lost from the session: its packet id was reused", "client", cl.ID, "packet_id", out.PacketID)
		}
		return
	}
	if cl.State.Inflight.Set(out) {
		atomic.AddInt64(&h.srv.Info.Inflight, 1)
	}
	if h.persist != nil {
		h.persist.OnQosPublish(cl, out, out.Created, 0)
	}
}
