package faults

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/qrstand/qrstand/firmware/internal/loadkit"
)

// scaleOut is the scale-out topology: a private Mosquitto (dynamic
// security, the documented config), a fresh PostgreSQL database and two
// cloud nodes (node 1 in dev mode seeds the console login, node 2 a plain
// sandbox node), as cloud/deploy/two-nodes.sh starts them; customers are
// spread over both nodes, the stands sit behind the proxy.
func scaleOut(t *testing.T, sc scale) (*env, loadkit.Deployment) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	mq := startMosquitto(t)
	dsn, db := postgres(t)
	dir := t.TempDir()
	bin, err := loadkit.CloudBinary(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	common := append(os.Environ(), "QRSTAND_CONFIG=",
		"QRSTAND_DATABASE=postgres", "QRSTAND_POSTGRES_DSN="+dsn,
		"QRSTAND_SECRET_KEY="+base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)),
		"QRSTAND_BROKER_KIND=mosquitto", "QRSTAND_BROKER_URL="+mq.URL, "QRSTAND_BROKER_PASSWORD=cloud-"+randHex(8),
		"QRSTAND_BROKER_ADMIN_USER="+mq.AdminUser, "QRSTAND_BROKER_ADMIN_PASSWORD="+mq.AdminPassword,
		"QRSTAND_METRICS_ADDR=127.0.0.1:0", "QRSTAND_MQTT_ADDR=") // several nodes on one machine
	e := &env{t: t, ctx: ctx, sc: sc, mq: mq}
	for i := range 2 {
		port, err := loadkit.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		id := fmt.Sprintf("node-%d", i+1)
		mode := "QRSTAND_DEV=1"
		if i > 0 {
			mode = "QRSTAND_SANDBOX=1" // dev seeding on a second node would hand out new demo codes
		}
		n := &loadkit.Cloud{Bin: bin, Args: []string{"-log-level", "warn"}, Base: fmt.Sprintf("http://127.0.0.1:%d", port), Broker: mq.URL,
			Data: filepath.Join(dir, id), Log: filepath.Join(dir, id+".log"),
			Env: append(append([]string(nil), common...), mode, "QRSTAND_NODE_ID="+id, fmt.Sprintf("QRSTAND_HTTP_ADDR=127.0.0.1:%d", port),
				"QRSTAND_DATA_DIR="+filepath.Join(dir, id))}
		if err := os.MkdirAll(n.Data, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := n.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			n.Stop()
			if t.Failed() {
				t.Logf("%s log (tail):\n%s", id, n.LogTail())
			}
		})
		e.nodes = append(e.nodes, n)
	}
	e.states = func(orders []string) (map[string]orderState, error) { return orderStates(db, "$", orders) }
	e.db, e.ph = db, "$"
	user, pw, err := e.nodes[0].DevLogin()
	if err != nil {
		t.Fatal(err)
	}
	return e, loadkit.Deployment{Bases: []string{e.nodes[0].Base, e.nodes[1].Base}, Broker: mq.URL, User: user, Password: pw}
}

// qrstand-load against the scale-out topology: the command, built from
// this tree, with -cloud naming both nodes and -broker Mosquitto, its
// console login from the environment; its report must show every payment
// announced and printed once.
func TestLoadExternal(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Mosquitto, PostgreSQL and two cloud nodes; skipped under -short")
	}
	e, dep := scaleOut(t, small)
	bin := filepath.Join(t.TempDir(), "qrstand-load")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/qrstand/qrstand/firmware/cmd/qrstand-load").CombinedOutput(); err != nil {
		t.Fatalf("go build qrstand-load: %v\n%s", err, out)
	}
	cmd := exec.CommandContext(e.ctx, bin, "-cloud", strings.Join(dep.Bases, ","), "-broker", dep.Broker,
		"-stands", "4", "-stores", "2", "-rate", "4", "-duration", "3s", "-json")
	cmd.Env = append(os.Environ(), "QRSTAND_LOAD_USER="+dep.User, "QRSTAND_LOAD_PASSWORD="+dep.Password)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("qrstand-load: %v\n%s", err, stderr.String())
	}
	var r struct {
		Paid, Announced, Printed, Lost, Duplicated int64
		StandsConnected                            int     `json:"stands_connected"`
		RawRTTP99                                  float64 `json:"raw_rtt_p99_ms"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("report %q: %v", out, err)
	}
	if r.Paid != 12 || r.Announced != 12 || r.Printed != 12 || r.Lost != 0 || r.Duplicated != 0 || r.StandsConnected != 4 || r.RawRTTP99 <= 0 {
		t.Fatalf("report %s\n%s", out, stderr.String())
	}
}

func scaleOutRows() []row {
	return []row{
		{name: "Mosquitto restart (2 nodes on PostgreSQL)", fault: func(e *env) (string, error) {
			e.wait(0.3)
			before := e.mq.cmd.Process.Pid
			e.mq.stop(syscall.SIGTERM)
			if err := e.mq.start(); err != nil {
				return "", err
			}
			return fmt.Sprintf("SIGTERM pid %d, back as %d", before, e.mq.cmd.Process.Pid), nil
		}},
		{name: "cloud node SIGKILL (2 nodes on PostgreSQL)", simDies: true, fault: func(e *env) (string, error) {
			e.wait(0.3)
			p, err := e.restart(1, true)
			return "node 2 " + p, err
		}},
		{name: "TCP proxy cuts every stand connection (2 nodes)", fault: func(e *env) (string, error) {
			cut := 0
			for range 3 {
				e.wait(0.25)
				cut += e.px.Cut()
			}
			return fmt.Sprintf("%d connections cut in 3 rounds", cut), nil
		}},
	}
}
