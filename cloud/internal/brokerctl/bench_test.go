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

// BenchmarkMosquittoStand: what stands cost Mosquitto 2 (documented
// config, dynamic security). One op = one connection: CONNECT with a will
// and one QoS1 subscription, as a stand holds; run with a fixed count
// (e.g. -benchtime 2000x) and mind the file-descriptor limit. The
// connections log in as one dynsec client so that the registration cost,
// measured separately on the first min(N, 200) stands, does not blur the
// connection cost: the plugin rewrites its whole JSON file on every
// change, so registering is O(stands) per stand.
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
	nreg := min(b.N, 200)
	base := rssKiB(b, br.Pid())
	start := time.Now()
	for i := range nreg {
		id := fmt.Sprintf("bench-%06d", i)
		if err := ctl.Register(ctx, id, "pw-"+id); err != nil {
			b.Fatal(err)
		}
	}
	regTime := time.Since(start)
	registered := rssKiB(b, br.Pid())
	b.ResetTimer()
	conns := make([]*rawConn, 0, b.N)
	for i := range b.N {
		id := fmt.Sprintf("bench-%06d", i)
		c, rc := dial(b, br.URL, "qrstand_cloud-"+id, "qrstand_cloud", "pw", &will{topic: mqtt.StateTopic(id), payload: "offline", qos: 1, retain: true})
		if rc != 0 {
			b.Fatalf("%s: CONNACK %d", id, rc)
		}
		c.subscribe(b, mqtt.UpTopic(id))
		conns = append(conns, c)
	}
	b.StopTimer()
	connected := rssKiB(b, br.Pid())
	b.ReportMetric(float64(connected-registered)*1024/float64(b.N), "conn-B/stand")
	b.ReportMetric(float64(registered-base)*1024/float64(nreg), "dynsec-B/stand")
	b.ReportMetric(float64(nreg)/regTime.Seconds(), "registers/s")
	for _, c := range conns {
		c.Close()
	}
}
