package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/brokerctl"
	"github.com/qrstand/qrstand/cloud/internal/storage"
	"github.com/qrstand/qrstand/mqtt"
)

// Provision is one stand's credentials, in the stand's provisioning file
// format (qrstand -provision FILE).
type Provision struct {
	DeviceID string `json:"device_id"`
	Secret   string `json:"secret"`
	Broker   string `json:"broker"`
	// BrokerCA is the PEM CA the stand pins for a mqtts:// broker whose
	// certificate comes from a private CA; empty means the system roots.
	BrokerCA string `json:"broker_ca,omitempty"`
}

// ProvisionStands registers n new stands in the database cfg names and
// returns their credentials. Only the secret's hash is stored; the returned
// secrets are the one chance to hand them to the stands. brokerURL is what
// the stands will dial (e.g. ssl://mqtt.example.com:8883).
func ProvisionStands(ctx context.Context, cfg Config, n int, brokerURL string) ([]Provision, error) {
	if n < 1 || n > 10000 {
		return nil, fmt.Errorf("server: provision %d stands: want 1..10000", n)
	}
	if !strings.Contains(brokerURL, "://") {
		return nil, errors.New("server: broker URL must look like tcp://host:1883 or ssl://host:8883")
	}
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: slog.New(slog.DiscardHandler)}
	if err := s.openStorage(ctx); err != nil {
		return nil, err
	}
	defer s.db.Close()
	// Mosquitto checks stand secrets itself: register each one there
	// while its secret is still in hand (only hashes are kept).
	creds := brokerctl.StandCredentials(brokerctl.Nop{})
	if cfg.BrokerKind == BrokerMosquitto {
		// Its own client id: a node with the same name may be running on
		// this host, and a shared id would kick its control connection.
		m, err := s.dialMosquitto(ctx, s.cfg.NodeID+"-provision-"+newStandID()[4:])
		if err != nil {
			return nil, err
		}
		defer m.Close()
		creds = m
	}
	out := make([]Provision, 0, n)
	for len(out) < n {
		p := Provision{DeviceID: newStandID(), Secret: mqtt.NewSecret(), Broker: brokerURL}
		if _, err := s.st.RegisterStand(ctx, p.DeviceID, p.Secret, time.Now()); err != nil {
			return out, fmt.Errorf("server: register stand %s: %w", p.DeviceID, err)
		}
		if err := creds.Register(ctx, p.DeviceID, p.Secret); err != nil {
			// The stand exists in the database but cannot connect; hand
			// out what worked and say which one failed.
			return out, fmt.Errorf("server: register stand %s with the broker: %w", p.DeviceID, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// newStandID is storage.NewStandID (shared with the console's register).
func newStandID() string { return storage.NewStandID() }
