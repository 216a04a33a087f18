package server

import (
	"context"
	"sync"

	"github.com/qrstand/qrstand/mqtt/broker"
)

// brokerKicker is the embedded broker's side of ui.CredentialHook: the
// broker reads a stand's secret hash on every CONNECT, so a re-keyed or
// revoked stand only needs its live session ended. An external broker
// (Mosquitto dynamic security, EMQX) gets its own hook beside this one.
type brokerKicker struct {
	mu sync.Mutex
	b  *broker.Broker
}

func (k *brokerKicker) set(b *broker.Broker) {
	k.mu.Lock()
	k.b = b
	k.mu.Unlock()
}

// StandCredentialsChanged ends the stand's session, if it has one.
func (k *brokerKicker) StandCredentialsChanged(_ context.Context, standID string, _ bool) error {
	k.mu.Lock()
	b := k.b
	k.mu.Unlock()
	if b != nil {
		b.Disconnect(standID)
	}
	return nil
}
