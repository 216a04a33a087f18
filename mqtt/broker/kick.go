package broker

import "github.com/mochi-mqtt/server/v2/packets"

// Disconnect ends the live connection of client id, if any, and reports
// whether there was one. The cloud calls it when a stand's secret is
// rotated or revoked: authentication looks the secret up on every CONNECT,
// so the old secret is refused from the next one, and this ends the
// session that was authenticated with it. The reason sent (MQTT 5) is
// "not authorized".
func (b *Broker) Disconnect(id string) bool {
	b.mu.Lock()
	srv := b.srv
	b.mu.Unlock()
	if srv == nil {
		return false
	}
	cl, ok := srv.Clients.Get(id)
	if !ok || cl.Closed() {
		return false
	}
	// [MQTT-3.14.2-1] a server-sent DISCONNECT carries a reason code.
	_ = srv.DisconnectClient(cl, packets.ErrNotAuthorized)
	return true
}
