package broker_test

import (
	"fmt"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/broker"
	"github.com/qrstand/qrstand/mqtt/mqtttest"
)

// The cloud's session receives every stand's uplinks, so its in-flight
// quota is not a stand's: with MaxQueuedPerStand 3, twenty uplinks queued
// for the cloud while it is away all reach it, and a stand away still gets
// only its first three messages (then, once it acked them, the next one).
func TestServiceQuotaIsNotAStandQuota(t *testing.T) {
	const id = "stand-0001"
	e := startEnv(t, []string{id}, func(c *broker.Config) { c.MaxQueuedPerStand = 3 })
	got := make(chan string, 64)
	record := func(_ paho.Client, m paho.Message) { got <- string(m.Payload()) }
	dial := func(clientID, user, pass string, h paho.MessageHandler) paho.Client {
		opts := paho.NewClientOptions().AddBroker(e.url).SetClientID(clientID).SetUsername(user).SetPassword(pass).
			SetCleanSession(false).SetAutoReconnect(false).SetOrderMatters(true).SetProtocolVersion(4).SetDefaultPublishHandler(h)
		c := paho.NewClient(opts)
		if tok := c.Connect(); !tok.WaitTimeout(wait) || tok.Error() != nil {
			t.Fatalf("connect %s: %v", clientID, tok.Error())
		}
		t.Cleanup(func() { c.Disconnect(50) })
		return c
	}
	publish := func(c paho.Client, topic, p string) {
		if tok := c.Publish(topic, 1, false, p); !tok.WaitTimeout(wait) || tok.Error() != nil {
			t.Fatalf("publish %s: %v", topic, tok.Error())
		}
	}
	expect := func(who string, want ...string) {
		t.Helper()
		for i, w := range want {
			select {
			case p := <-got:
				if p != w {
					t.Fatalf("%s message %d = %q, want %q", who, i, p, w)
				}
			case <-time.After(wait):
				t.Fatalf("%s got %d of %d messages", who, i, len(want))
			}
		}
	}

	// Both make their persistent sessions, then go away.
	cloud := dial(serviceUser, serviceUser, e.service, record)
	if tok := cloud.Subscribe(mqtt.TopicPrefix+"+/up", 1, nil); !tok.WaitTimeout(wait) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	cloud.Disconnect(50)
	stand := dial(id, id, e.secrets[id], record)
	if tok := stand.Subscribe(mqtt.DownTopic(id), 1, nil); !tok.WaitTimeout(wait) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}

	var ups []string
	for i := range 20 {
		ups = append(ups, fmt.Sprintf("up-%02d", i))
		publish(stand, mqtt.UpTopic(id), ups[i])
	}
	stand.Disconnect(50)
	cloud = dial(serviceUser, serviceUser, e.service, record)
	// mochi resends a session's queue ordered by the second each message
	// was made (the order hook fixes that for stands' topics only), so
	// the cloud's may come in any order.
	seen := map[string]bool{}
	for range ups {
		select {
		case p := <-got:
			seen[p] = true
		case <-time.After(wait):
			t.Fatalf("the cloud got %d of %d queued uplinks", len(seen), len(ups))
		}
	}
	for _, u := range ups {
		if !seen[u] {
			t.Errorf("uplink %s never reached the cloud", u)
		}
	}

	for i := range 5 {
		publish(cloud, mqtt.DownTopic(id), fmt.Sprintf("down-%d", i))
	}
	dial(id, id, e.secrets[id], record)
	expect("stand", "down-0", "down-1", "down-2")
	// A marker sent after the stand acked its three: down-3 and down-4
	// were dropped, so the marker comes next.
	mqtttest.WaitFor(t, "the stand's three acked", func() bool { return e.b.Inflight(id) == 0 })
	publish(cloud, mqtt.DownTopic(id), "marker")
	expect("stand", "marker")
}
