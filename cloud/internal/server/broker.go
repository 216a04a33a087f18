package server

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/qrstand/qrstand/cloud/internal/brokerctl"
	"github.com/qrstand/qrstand/cloud/internal/extauth"
	"github.com/qrstand/qrstand/cloud/internal/nodelink"
	"github.com/qrstand/qrstand/cloud/internal/storage"
	"github.com/qrstand/qrstand/mqtt"
)

// setupBroker prepares what the configured broker kind needs before the
// node serves: the service password, Mosquitto's dynamic-security state,
// or EMQX's auth endpoints.
func (s *Server) setupBroker(ctx context.Context) error {
	s.creds = brokerctl.Nop{}
	switch s.cfg.BrokerKind {
	case BrokerEmbedded:
		s.serviceSecret = mqtt.NewSecret()
	case BrokerMosquitto:
		s.serviceSecret = s.cfg.BrokerPassword
		m, err := s.dialMosquitto(ctx, s.cfg.NodeID)
		if err != nil {
			return err
		}
		s.mosquitto, s.creds = m, m
	case BrokerEMQX:
		s.serviceSecret = s.cfg.BrokerPassword
		h, err := extauth.New(extauth.Config{
			Stands: func(ctx context.Context, id string) (string, error) {
				h, err := s.st.StandSecretHash(ctx, id)
				if errors.Is(err, storage.ErrNotFound) {
					return "", nil // unknown: denied, not a backend failure
				}
				return h, err
			},
			ServiceUser: s.cfg.BrokerUser, ServiceSecretHash: mqtt.HashSecret(s.cfg.BrokerPassword),
			Token: s.cfg.BrokerAuthToken, Log: s.log.With("component", "extauth"),
		})
		if err != nil {
			return err
		}
		s.extauth = h
	}
	return nil
}

// dialMosquitto connects to Mosquitto's control API as client
// <admin>-<who> and makes sure the cloud's own identity and the
// default-deny ACL are in place.
func (s *Server) dialMosquitto(ctx context.Context, who string) (*brokerctl.Mosquitto, error) {
	m, err := brokerctl.DialMosquitto(ctx, brokerctl.MosquittoConfig{
		Broker: s.cfg.BrokerURL, User: s.cfg.BrokerAdminUser, Password: s.cfg.BrokerAdminPassword,
		ClientID: s.cfg.BrokerAdminUser + "-" + who, Log: s.log.With("component", "brokerctl"),
	})
	if err != nil {
		return nil, fmt.Errorf("server: mosquitto control: %w", err)
	}
	if err := m.SetupCloud(ctx, s.cfg.BrokerUser, s.cfg.BrokerPassword); err != nil {
		m.Close()
		return nil, fmt.Errorf("server: mosquitto setup: %w", err)
	}
	return m, nil
}

// StandCredentials keeps the broker's copy of stand credentials in step
// (Mosquitto); a no-op for brokers that ask this node on every CONNECT.
// Call it whenever a stand's secret is minted, changed or revoked.
func (s *Server) StandCredentials() brokerctl.StandCredentials { return s.creds }

// brokerUser is the cloud's MQTT username.
func (s *Server) brokerUser() string {
	if s.cfg.BrokerKind == BrokerEmbedded {
		return ServiceUser
	}
	return s.cfg.BrokerUser
}

// clientID is this node's MQTT client id: on an external broker the
// service user and the node, so nodes never take over each other's
// sessions; on the embedded broker (one node) the service user.
func (s *Server) clientID() string {
	id := s.brokerUser()
	if isExternal(s.cfg.BrokerKind) {
		id += "-" + s.cfg.NodeID
	}
	return id
}

// setupLink makes the node's one MQTT client. On an external broker the
// uplinks are shared between the nodes (each goes to one of them); on the
// embedded one this node is the only consumer, with a persistent session.
func (s *Server) setupLink() error {
	storeDir := ""
	if s.cfg.DataDir != "" {
		storeDir = filepath.Join(s.cfg.DataDir, "mqtt-client")
		if isExternal(s.cfg.BrokerKind) {
			storeDir += "-" + s.cfg.NodeID // nodes may share a data dir
		}
		if err := privateDir(storeDir); err != nil {
			return err
		}
	}
	group := ""
	if isExternal(s.cfg.BrokerKind) {
		group = upGroup
	}
	l, err := nodelink.New(nodelink.Config{User: s.brokerUser(), Secret: s.serviceSecret, ClientID: s.clientID(),
		Group: group, StoreDir: storeDir, Log: s.log.With("component", "nodelink")})
	if err != nil {
		return err
	}
	s.mqtt = l
	return nil
}

// isExternal reports an external broker kind.
func isExternal(kind string) bool { return kind == BrokerMosquitto || kind == BrokerEMQX }
