package mqtt

import "testing"

func TestStandACL(t *testing.T) {
	const me, other = "stand-0001", "stand-0002"
	sub := []struct {
		filter string
		ok     bool
	}{
		{DownTopic(me), true},
		{ConfigTopic(me), true},
		{UpTopic(me), false}, // its own uplink is for the cloud to read
		{StateTopic(me), false},
		{DownTopic(other), false},
		{ConfigTopic(other), false},
		{"qrs/v1/d/+/down", false},
		{"qrs/v1/d/" + me + "/#", false},
		{"qrs/v1/d/" + me + "/+", false},
		{"#", false},
		{"+/+/+/+/+", false},
		{"$share/g/" + DownTopic(me), false},
		{"$SYS/#", false},
		{"$SYS/broker/clients/connected", false},
		{"", false},
	}
	for _, tt := range sub {
		if got := StandMaySubscribe(me, tt.filter); got != tt.ok {
			t.Errorf("StandMaySubscribe(%q) = %v, want %v", tt.filter, got, tt.ok)
		}
	}
	pub := []struct {
		topic string
		ok    bool
	}{
		{UpTopic(me), true},
		{StateTopic(me), true},
		{DownTopic(me), false}, // a stand cannot fake cloud events to itself
		{ConfigTopic(me), false},
		{UpTopic(other), false},
		{StateTopic(other), false},
		{"qrs/v1/d/" + me + "/up/extra", false},
		{"$SYS/x", false},
	}
	for _, tt := range pub {
		if got := StandMayPublish(me, tt.topic); got != tt.ok {
			t.Errorf("StandMayPublish(%q) = %v, want %v", tt.topic, got, tt.ok)
		}
	}
	if StandMaySubscribe("BAD/ID", DownTopic("BAD/ID")) {
		t.Error("an invalid device id got a subscription")
	}
}

func TestServiceACL(t *testing.T) {
	for filter, ok := range map[string]bool{
		"qrs/v1/d/+/up":                  true,
		"qrs/v1/d/+/state":               true,
		"$share/cloud/qrs/v1/d/+/up":     true,
		"qrs/v1/d/stand-0001/up":         true,
		"qrs/v1/d/+/down":                false,
		"qrs/v1/d/#":                     false,
		"#":                              false,
		"$SYS/#":                         false,
		"$share//qrs/v1/d/+/up":          false,
		"$share/+/qrs/v1/d/+/up":         false,
		"$share/cloud/qrs/v1/d/+/config": false,
	} {
		if got := ServiceMaySubscribe(filter); got != ok {
			t.Errorf("ServiceMaySubscribe(%q) = %v, want %v", filter, got, ok)
		}
	}
	for topic, ok := range map[string]bool{
		DownTopic("stand-0001"):   true,
		ConfigTopic("stand-0001"): true,
		UpTopic("stand-0001"):     false,
		"qrs/v1/d/+/down":         false,
		"other/topic":             false,
	} {
		if got := ServiceMayPublish(topic); got != ok {
			t.Errorf("ServiceMayPublish(%q) = %v, want %v", topic, got, ok)
		}
	}
}

func TestRetainACL(t *testing.T) {
	const me, other = "stand-0001", "stand-0002"
	for topic, ok := range map[string]bool{
		StateTopic(me):    true, // presence, also the will
		UpTopic(me):       false,
		DownTopic(me):     false,
		ConfigTopic(me):   false,
		StateTopic(other): false,
		"$SYS/x":          false,
	} {
		if got := StandMayRetain(me, topic); got != ok {
			t.Errorf("StandMayRetain(%q) = %v, want %v", topic, got, ok)
		}
	}
	if StandMayRetain("BAD/ID", StateTopic("BAD/ID")) {
		t.Error("an invalid device id may retain")
	}
	for topic, ok := range map[string]bool{
		ConfigTopic(me):     true,
		DownTopic(me):       false, // events are queued, never retained
		StateTopic(me):      false,
		UpTopic(me):         false,
		"qrs/v1/d/+/config": false,
	} {
		if got := ServiceMayRetain(topic); got != ok {
			t.Errorf("ServiceMayRetain(%q) = %v, want %v", topic, got, ok)
		}
	}
}

func TestParseTopic(t *testing.T) {
	id, ch, ok := ParseTopic("qrs/v1/d/stand-0001/down")
	if !ok || id != "stand-0001" || ch != ChannelDown {
		t.Fatalf("ParseTopic = %q %q %v", id, ch, ok)
	}
	for _, bad := range []string{"qrs/v1/d/stand-0001", "qrs/v1/d/stand-0001/down/x", "qrs/v2/d/stand-0001/down", "qrs/v1/d/+/down", "qrs/v1/d/-abc/up"} {
		if _, _, ok := ParseTopic(bad); ok {
			t.Errorf("ParseTopic(%q) ok", bad)
		}
	}
}
