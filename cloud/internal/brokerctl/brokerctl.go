package brokerctl

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/qrstand/qrstand/mqtt"
)

// StandCredentials keeps a broker's view of a stand's credentials in step
// with the cloud's: the console calls it when a stand is registered,
// re-keyed or revoked. Implementations: *Mosquitto (dynamic security);
// Nop for brokers that ask the cloud on every CONNECT (the embedded broker,
// EMQX through cloud/internal/extauth).
type StandCredentials interface {
	// Register creates the stand's broker identity with secret. Registering
	// an existing stand sets its secret and access again (idempotent).
	Register(ctx context.Context, id, secret string) error
	// Rekey replaces the stand's secret; the old one stops working at once
	// and a connection made with it is closed.
	Rekey(ctx context.Context, id, secret string) error
	// Revoke deletes the stand's broker identity and closes its connection.
	// Revoking an unknown stand is not an error.
	Revoke(ctx context.Context, id string) error
}

// Nop is StandCredentials for brokers that check credentials against the
// cloud's database on every CONNECT: there is nothing to keep in step.
type Nop struct{}

// Register does nothing.
func (Nop) Register(context.Context, string, string) error { return nil }

// Rekey does nothing.
func (Nop) Rekey(context.Context, string, string) error { return nil }

// Revoke does nothing.
func (Nop) Revoke(context.Context, string) error { return nil }

// ErrBadStand is returned for an id that cannot name a stand.
var ErrBadStand = errors.New("brokerctl: invalid device id")

// CloudRole is the dynsec role of the cloud's service identity.
const CloudRole = "qrstand-cloud"

// StandRole is the dynsec role holding stand id's ACL.
func StandRole(id string) string { return "qrstand-stand-" + id }

// ACL is one dynsec ACL entry.
type ACL struct {
	Type     string `json:"acltype"`
	Topic    string `json:"topic"`
	Priority int    `json:"priority,omitempty"`
	Allow    bool   `json:"allow"`
}

// StandACL is what stand id may do (DESIGN §4, mqtt.StandMayPublish and
// mqtt.StandMaySubscribe): literal topics only. Receiving is allowed only
// on its own down and config topics, so even a retained message on a
// foreign topic never reaches it.
func StandACL(id string) []ACL {
	return []ACL{
		{Type: "publishClientSend", Topic: mqtt.UpTopic(id), Allow: true},
		{Type: "publishClientSend", Topic: mqtt.StateTopic(id), Allow: true},
		{Type: "subscribeLiteral", Topic: mqtt.DownTopic(id), Allow: true},
		{Type: "subscribeLiteral", Topic: mqtt.ConfigTopic(id), Allow: true},
		{Type: "publishClientReceive", Topic: mqtt.DownTopic(id), Allow: true},
		{Type: "publishClientReceive", Topic: mqtt.ConfigTopic(id), Allow: true},
	}
}

// CloudACL is what the cloud's service identity may do
// (mqtt.ServiceMayPublish, mqtt.ServiceMaySubscribe): publish to every
// stand's down and config topics, read every stand's up and state topics,
// directly or through a shared subscription of any group.
func CloudACL() []ACL {
	up, state := mqtt.TopicPrefix+"+/"+string(mqtt.ChannelUp), mqtt.TopicPrefix+"+/"+string(mqtt.ChannelState)
	return []ACL{
		{Type: "publishClientSend", Topic: mqtt.TopicPrefix + "+/" + string(mqtt.ChannelDown), Allow: true},
		{Type: "publishClientSend", Topic: mqtt.TopicPrefix + "+/" + string(mqtt.ChannelConfig), Allow: true},
		{Type: "subscribePattern", Topic: up, Allow: true},
		{Type: "subscribePattern", Topic: state, Allow: true},
		{Type: "subscribePattern", Topic: "$share/+/" + up, Allow: true},
		{Type: "subscribePattern", Topic: "$share/+/" + state, Allow: true},
		{Type: "publishClientReceive", Topic: up, Allow: true},
		{Type: "publishClientReceive", Topic: state, Allow: true},
	}
}

func checkID(id string) error {
	if !mqtt.ValidDeviceID(id) {
		return fmt.Errorf("%w %q", ErrBadStand, id)
	}
	return nil
}

// CommandError is an error Mosquitto answered a control command with.
type CommandError struct {
	Command string
	Text    string
}

func (e *CommandError) Error() string {
	return "brokerctl: mosquitto " + e.Command + ": " + e.Text
}

// isExists reports Mosquitto's "… already exists" answer.
func isExists(err error) bool {
	var ce *CommandError
	return errors.As(err, &ce) && strings.Contains(ce.Text, "already exists")
}

// isNotFound reports Mosquitto's "… not found" answer.
func isNotFound(err error) bool {
	var ce *CommandError
	return errors.As(err, &ce) && strings.Contains(ce.Text, "not found")
}
