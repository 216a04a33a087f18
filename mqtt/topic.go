package mqtt

import "strings"

// TopicPrefix is the versioned root of every stand topic.
const TopicPrefix = "qrs/v1/d/"

// Channel names one of a stand's four topics.
type Channel string

// The four per-stand channels; see the package documentation for who
// publishes on which.
const (
	ChannelDown   Channel = "down"
	ChannelConfig Channel = "config"
	ChannelUp     Channel = "up"
	ChannelState  Channel = "state"
)

// Topic returns the topic of channel ch for device id.
func Topic(id string, ch Channel) string { return TopicPrefix + id + "/" + string(ch) }

// DownTopic is where the cloud sends a stand its events and commands.
func DownTopic(id string) string { return Topic(id, ChannelDown) }

// ConfigTopic is where the cloud keeps a stand's retained store.config.
func ConfigTopic(id string) string { return Topic(id, ChannelConfig) }

// UpTopic is where a stand sends acks, status, hello and pairing requests.
func UpTopic(id string) string { return Topic(id, ChannelUp) }

// StateTopic is a stand's retained presence, also its last will.
func StateTopic(id string) string { return Topic(id, ChannelState) }

// ParseTopic splits a concrete stand topic into device id and channel.
// It returns ok=false for anything that is not exactly
// qrs/v1/d/{valid id}/{known channel}.
func ParseTopic(topic string) (id string, ch Channel, ok bool) {
	rest, found := strings.CutPrefix(topic, TopicPrefix)
	if !found {
		return "", "", false
	}
	id, c, found := strings.Cut(rest, "/")
	if !found || !ValidDeviceID(id) {
		return "", "", false
	}
	switch Channel(c) {
	case ChannelDown, ChannelConfig, ChannelUp, ChannelState:
		return id, Channel(c), true
	}
	return "", "", false
}

// ValidDeviceID reports whether id can name a stand: 4 to 64 characters of
// lower-case ASCII letters, digits and '-', not starting with '-'. This keeps
// ids out of MQTT's special characters (+ # / $) and safe in URLs, file
// names and QR codes.
func ValidDeviceID(id string) bool {
	if len(id) < 4 || len(id) > 64 || id[0] == '-' {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}
