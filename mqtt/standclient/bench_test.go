package standclient_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/mqtttest"
	"github.com/qrstand/qrstand/mqtt/standclient"
)

// BenchmarkRoundTrip measures cloud publish → stand handler → app-level ack
// back at the cloud ("app"), beside a raw MQTT echo on the same broker and
// the same topics ("raw": a plain paho client republishes each payload on
// its up topic, no codec, no handler, no ack message). Brokers: the embedded
// one, the system Mosquitto on 127.0.0.1:1883 as configured (Nagle on by
// default), and a Mosquitto this benchmark starts with set_tcp_nodelay true.
//
//	go test -run '^$' -bench RoundTrip -benchtime 2000x ./mqtt/standclient/
func BenchmarkRoundTrip(b *testing.B) {
	type target struct {
		name       string
		url        string
		user, pass string
		stand      func(id string) string // returns the stand secret
	}
	var targets []target

	emb := mqtttest.Start(b, mqtttest.Options{})
	targets = append(targets, target{"embedded", emb.URL, mqtttest.ServiceUser, emb.ServiceSecret, emb.AddStand})
	anon := func(string) string { return "anonymous" }
	if reachable("127.0.0.1:1883") {
		targets = append(targets, target{"mosquitto-default", "tcp://127.0.0.1:1883", "qrstand_cloud", "x", anon})
	}
	if url, ok := startMosquitto(b); ok {
		targets = append(targets, target{"mosquitto-nodelay", url, "qrstand_cloud", "x", anon})
	}

	for _, tg := range targets {
		b.Run(tg.name+"/raw", func(b *testing.B) {
			id := fmt.Sprintf("bench-raw-%d", time.Now().UnixNano())
			secret := tg.stand(id)
			echo := rawPaho(b, tg.url, id, id, secret)
			tok := echo.Subscribe(mqtt.DownTopic(id), 1, func(c paho.Client, m paho.Message) {
				c.Publish(mqtt.UpTopic(id), 1, false, m.Payload())
			})
			if !tok.WaitTimeout(wait) || tok.Error() != nil {
				b.Fatalf("subscribe: %v", tok.Error())
			}
			measure(b, tg.url, tg.user, tg.pass, id, func(m mqtt.Message, got []byte) bool {
				return true // the echo of the one in flight
			})
		})
		b.Run(tg.name+"/app", func(b *testing.B) {
			id := fmt.Sprintf("bench-app-%d", time.Now().UnixNano())
			secret := tg.stand(id)
			c, err := standclient.New(standclient.Config{Broker: tg.url, DeviceID: id, Secret: secret})
			if err != nil {
				b.Fatal(err)
			}
			c.Handle(mqtt.KindPaymentPaid, func(context.Context, mqtt.Message) error { return nil })
			ready := make(chan struct{}, 1)
			c.OnConnect(func(context.Context) { ready <- struct{}{} })
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- c.Run(ctx) }()
			defer func() { cancel(); <-done }()
			<-ready // OnConnect runs once the broker granted the subscriptions
			measure(b, tg.url, tg.user, tg.pass, id, func(m mqtt.Message, got []byte) bool {
				a, err := mqtt.Unmarshal(got)
				if err != nil {
					return false
				}
				ack, ok := a.Body.(*mqtt.Ack)
				return ok && ack.Ref == m.ID
			})
		})
	}
}

// measure sends b.N payment.paid events one at a time and waits for the
// matching reply on the stand's up topic.
func measure(b *testing.B, url, user, pass, id string, match func(mqtt.Message, []byte) bool) {
	b.Helper()
	replies := make(chan []byte, 16)
	cloud := rawPaho(b, url, user+"-bench-"+id, user, pass)
	tok := cloud.Subscribe(mqtt.UpTopic(id), 1, func(_ paho.Client, m paho.Message) {
		replies <- slices.Clone(m.Payload())
	})
	if !tok.WaitTimeout(wait) || tok.Error() != nil {
		b.Fatalf("cloud subscribe: %v", tok.Error())
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		m := mqtt.New(&mqtt.PaymentPaid{OrderNo: fmt.Sprintf("B%d", i), Channel: mqtt.ChannelWeChat,
			AmountFen: 1250, PaidAt: time.Now().UTC(), StoreID: "st_bench"}, time.Now())
		p, _ := m.Marshal()
		t0 := time.Now()
		cloud.Publish(mqtt.DownTopic(id), 1, false, p)
		for {
			select {
			case got := <-replies:
				if !match(m, got) {
					continue
				}
			case <-time.After(wait):
				b.Fatalf("no reply for event %d", i)
			}
			break
		}
		lat = append(lat, time.Since(t0))
	}
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
}

func rawPaho(b *testing.B, url, clientID, user, pass string) paho.Client {
	b.Helper()
	c := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID(clientID).
		SetUsername(user).SetPassword(pass).SetCleanSession(true).SetAutoReconnect(false))
	if tok := c.Connect(); !tok.WaitTimeout(wait) || tok.Error() != nil {
		b.Fatalf("connect %s to %s: %v", clientID, url, tok.Error())
	}
	b.Cleanup(func() { c.Disconnect(50) })
	return c
}

func reachable(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// startMosquitto runs a private Mosquitto with set_tcp_nodelay true on a
// free loopback port for the benchmark's lifetime.
func startMosquitto(b *testing.B) (string, bool) {
	bin, err := exec.LookPath("mosquitto")
	if err != nil {
		if bin, err = exec.LookPath("/usr/sbin/mosquitto"); err != nil {
			b.Log("mosquitto not installed; skipping the nodelay broker")
			return "", false
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", false
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	conf := filepath.Join(b.TempDir(), "mosquitto.conf")
	body := fmt.Sprintf("listener %d 127.0.0.1\nallow_anonymous true\npersistence false\nset_tcp_nodelay true\n", port)
	if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(bin, "-c", conf)
	if err := cmd.Start(); err != nil {
		b.Logf("mosquitto: %v", err)
		return "", false
	}
	b.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for i := 0; i < 100 && !reachable(addr); i++ {
		time.Sleep(20 * time.Millisecond) // polling a fact: mosquitto listens
	}
	return "tcp://" + addr, reachable(addr)
}
