package server

import (
	"context"
	"sync"

	"github.com/qrstand/qrstand/cloud/internal/brokerctl"
	"github.com/qrstand/qrstand/cloud/internal/ui"

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
func (k *brokerKicker) StandCredentialsChanged(_ context.Context, standID, _ string, _ ui.CredentialChange) error {
	k.mu.Lock()
	b := k.b
	k.mu.Unlock()
	if b != nil {
		b.Disconnect(standID)
	}
	return nil
}

// credsHook is an external broker's side of ui.CredentialHook: Mosquitto's
// dynamic security keeps its own client list, so a stand registered,
// re-keyed or revoked in the console is changed there too.
type credsHook struct{ c brokerctl.StandCredentials }

// StandCredentialsChanged registers, re-keys or revokes the stand on the
// external broker.
func (h credsHook) StandCredentialsChanged(ctx context.Context, standID, secret string, change ui.CredentialChange) error {
	switch change {
	case ui.CredentialsRegistered:
		return h.c.Register(ctx, standID, secret)
	case ui.CredentialsRekeyed:
		return h.c.Rekey(ctx, standID, secret)
	default:
		return h.c.Revoke(ctx, standID)
	}
}
