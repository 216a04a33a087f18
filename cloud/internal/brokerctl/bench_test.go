package brokerctl_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/brokerctl"
	"github.com/qrstand/qrstand/cloud/internal/brokerctl/mosquittotest"
	"github.com/qrstand/qrstand/mqtt"
)

// rssKiB reads a process's resident set size.
func rssKiB(b *testing.B, pid int) int {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return n
		}
	}
	b.Fatal("no VmRSS")
	return 0
}

// BenchmarkMosquittoStand: what one stand costs Mosquitto 2 (documented
// config, dynamic security): the RSS of its dynsec client + role
// (registered through the control API) and of its connection (CONNECT
// with a will, one QoS1 subscription to its down topic). One op = one
// stand; run with a fixed count (e.g. -benchtime 2000x) and mind the
// file-descriptor limit.
func BenchmarkMosquittoStand(b *testing.B) {
	br := mosquittotest.Start(b)
	ctx := context.Background()
	ctl, err := brokerctl.DialMosquitto(ctx, brokerctl.MosquittoConfig{Broker: br.URL, User: br.AdminUser, Password: br.AdminPassword, Timeout: time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	defer ctl.Close()
	if err := ctl.SetupCloud(ctx, "qrstand_cloud", "pw"); err != nil {
		b.Fatal(err)
	}
	ids := make([]string, b.N)
	for i := range ids {
		ids[i] = fmt.Sprintf("bench-%06d", i)
	}
	base := rssKiB(b, br.Pid())
	b.ResetTimer()
	start := time.Now()
	for _, id := range ids {
		if err := ctl.Register(ctx, id, "pw-"+id); err != nil {
			b.Fatal(err)
		}
	}
	regTime := time.Since(start)
	registered := rssKiB(b, br.Pid())
	conns := make([]*rawConn, 0, b.N)
	for _, id := range ids {
		c, rc := rawConnectB(b, br.URL, id, "pw-"+id, &will{topic: mqtt.StateTopic(id), payload: "offline", qos: 1, retain: true})
		if rc != 0 {
			b.Fatalf("%s: CONNACK %d", id, rc)
		}
		c.subscribe(b, mqtt.DownTopic(id))
		conns = append(conns, c)
	}
	b.StopTimer()
	connected := rssKiB(b, br.Pid())
	b.ReportMetric(float64(registered-base)*1024/float64(b.N), "dynsec-B/stand")
	b.ReportMetric(float64(connected-registered)*1024/float64(b.N), "conn-B/stand")
	b.ReportMetric(float64(b.N)/regTime.Seconds(), "registers/s")
	for _, c := range conns {
		c.Close()
	}
}
