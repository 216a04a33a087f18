package mqtt

import "strings"

// The access rules of DESIGN §4 as pure functions, so the embedded broker
// and the cloud's HTTP auth endpoint for an external broker (EMQX,
// Mosquitto) enforce the same thing.

// StandMaySubscribe reports whether stand id may subscribe to filter: only
// its own down and config topics, spelled exactly. Wildcards, shared
// subscriptions and $SYS never match.
func StandMaySubscribe(id, filter string) bool {
	return ValidDeviceID(id) && (filter == DownTopic(id) || filter == ConfigTopic(id))
}

// StandMayPublish reports whether stand id may publish to topic: only its own
// up and state topics.
func StandMayPublish(id, topic string) bool {
	return ValidDeviceID(id) && (topic == UpTopic(id) || topic == StateTopic(id))
}

// ServiceMayPublish reports whether the cloud's service identity may publish
// to topic: any stand's down or config topic.
func ServiceMayPublish(topic string) bool {
	_, ch, ok := ParseTopic(topic)
	return ok && (ch == ChannelDown || ch == ChannelConfig)
}

// ServiceMaySubscribe reports whether the cloud's service identity may
// subscribe to filter: all stands' up or state topics (qrs/v1/d/+/up), one
// stand's, or either through a shared subscription $share/{group}/...
func ServiceMaySubscribe(filter string) bool {
	if rest, ok := strings.CutPrefix(filter, "$share/"); ok {
		group, f, found := strings.Cut(rest, "/")
		if !found || group == "" || strings.ContainsAny(group, "+#") {
			return false
		}
		filter = f
	}
	rest, ok := strings.CutPrefix(filter, TopicPrefix)
	if !ok {
		return false
	}
	id, ch, found := strings.Cut(rest, "/")
	if !found || (id != "+" && !ValidDeviceID(id)) {
		return false
	}
	return Channel(ch) == ChannelUp || Channel(ch) == ChannelState
}

// StandMayRetain reports whether stand id may publish topic with the retain
// flag set (a retained PUBLISH or a retained will): only on its own state
// topic, where its presence lives. A retained message anywhere else would be
// replayed to every later subscriber, so a stand could plant one on its up
// topic that the cloud re-reads after each reconnect.
func StandMayRetain(id, topic string) bool {
	return ValidDeviceID(id) && topic == StateTopic(id)
}

// ServiceMayRetain reports whether the cloud's service identity may publish
// topic retained: only a stand's config topic (the latest store.config).
func ServiceMayRetain(topic string) bool {
	_, ch, ok := ParseTopic(topic)
	return ok && ch == ChannelConfig
}
