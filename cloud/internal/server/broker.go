package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/qrstand/qrstand/cloud/internal/brokerctl"
	"github.com/qrstand/qrstand/cloud/internal/extauth"
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

// clientID is this node's MQTT client id for one of its clients: on an
// external broker the service user, the node and the role, so nodes never
// take over each other's sessions; on the embedded broker (one node) the
// service user and the role, as before nodes existed.
func (s *Server) clientID(role string) string {
	id := s.brokerUser()
	if isExternal(s.cfg.BrokerKind) {
		id += "-" + s.cfg.NodeID
	}
	if role != "" {
		id += "-" + role
	}
	return id
}

// upFilter is the uplink subscription of a consumer: shared per group on
// an external broker (several nodes), plain on the embedded one.
func (s *Server) upFilter(group string) string {
	f := mqtt.TopicPrefix + "+/" + string(mqtt.ChannelUp)
	if isExternal(s.cfg.BrokerKind) {
		return "$share/" + group + "/" + f
	}
	return f
}

// isExternal reports an external broker kind.
func isExternal(kind string) bool { return kind == BrokerMosquitto || kind == BrokerEMQX }
