package faults

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL for the scale-out rows' order states

	"github.com/qrstand/qrstand/firmware/internal/loadkit"
)

// unavailable skips a test that needs a service this machine lacks, and
// fails it under CI=true.
func unavailable(t testing.TB, format string, a ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("faults: required under CI=true: "+format, a...)
	}
	t.Skipf("faults: "+format+"; skipping", a...)
}

// mosquitto is a private Mosquitto 2 started from the documented config
// (cloud/deploy/mosquitto/mosquitto.conf) with the plain listener on a
// free loopback port, the TLS listener left out (as cloud/deploy/
// two-nodes.sh does) and its files in a temporary folder.
type mosquitto struct {
	URL, AdminUser, AdminPassword string
	port                          int
	conf, log                     string
	cmd                           *exec.Cmd
	exited                        chan struct{}
}

const dynsecPlugin = "/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so"

func startMosquitto(t testing.TB) *mosquitto {
	t.Helper()
	for _, bin := range []string{"mosquitto", "mosquitto_ctrl"} {
		if _, err := exec.LookPath(bin); err != nil {
			if _, err2 := os.Stat("/usr/sbin/" + bin); err2 != nil {
				unavailable(t, "%s not installed", bin)
			}
		}
	}
	if _, err := os.Stat(dynsecPlugin); err != nil {
		unavailable(t, "Mosquitto's dynamic security plugin %s missing", dynsecPlugin)
	}
	dir := t.TempDir()
	m := &mosquitto{AdminUser: "qrstand_admin", AdminPassword: "faults-" + randHex(8), conf: filepath.Join(dir, "mosquitto.conf"), log: filepath.Join(dir, "mosquitto.log")}
	if out, err := exec.Command("mosquitto_ctrl", "dynsec", "init", filepath.Join(dir, "dynamic-security.json"), m.AdminUser, m.AdminPassword).CombinedOutput(); err != nil {
		t.Fatalf("faults: dynsec init: %v\n%s", err, out)
	}
	port, err := loadkit.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	m.port, m.URL = port, fmt.Sprintf("tcp://127.0.0.1:%d", port)
	_, self, _, _ := runtime.Caller(0)
	doc, err := os.ReadFile(filepath.Join(filepath.Dir(self), "../../../cloud/deploy/mosquitto/mosquitto.conf"))
	if err != nil {
		t.Fatal(err)
	}
	var conf bytes.Buffer
	tls := false
	for _, line := range strings.Split(string(doc), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) > 0 && f[0] == "listener" && len(f) == 3:
			line = fmt.Sprintf("listener %d 127.0.0.1", port)
		case len(f) > 0 && f[0] == "listener": // the TLS listener, up to its last line
			tls = true
		case tls && len(f) > 0 && (f[0] == "certfile" || f[0] == "keyfile" || f[0] == "tls_version"):
		default:
			tls = false
		}
		if tls {
			continue
		}
		line = strings.ReplaceAll(line, "/var/lib/mosquitto/", dir+"/")
		conf.WriteString(line + "\n")
	}
	if os.Geteuid() == 0 {
		conf.WriteString("user root\n") // root would drop to "mosquitto", which cannot write dir
	}
	if err := os.WriteFile(m.conf, conf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := m.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.stop(syscall.SIGKILL) })
	return m
}

func (m *mosquitto) start() error {
	lf, err := os.OpenFile(m.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	m.cmd = exec.Command("mosquitto", "-c", m.conf)
	m.cmd.Stdout, m.cmd.Stderr = lf, lf
	if err := m.cmd.Start(); err != nil {
		lf.Close()
		return err
	}
	exited := make(chan struct{})
	m.exited = exited
	go func() { m.cmd.Wait(); lf.Close(); close(exited) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", m.port), time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-exited:
			b, _ := os.ReadFile(m.log)
			return fmt.Errorf("faults: mosquitto exited: %s", b)
		case <-time.After(20 * time.Millisecond): // polling a port that is not there yet
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("faults: mosquitto did not listen: %v", err)
		}
	}
}

// stop ends Mosquitto (SIGTERM: it saves its persistence file first).
func (m *mosquitto) stop(sig syscall.Signal) {
	select {
	case <-m.exited:
		return
	default:
	}
	m.cmd.Process.Signal(sig)
	select {
	case <-m.exited:
	case <-time.After(10 * time.Second):
		m.cmd.Process.Kill()
		<-m.exited
	}
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// postgres creates a fresh database (dropped when the test ends) and
// returns its DSN and an open handle on it; it skips (fails under CI=true)
// without PostgreSQL. The admin DSN is $QRSTAND_TEST_PG_DSN or the
// trust-auth postgres user on 127.0.0.1:5432.
func postgres(t testing.TB) (string, *sql.DB) {
	t.Helper()
	admin := os.Getenv("QRSTAND_TEST_PG_DSN")
	if admin == "" {
		admin = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	adb, err := sql.Open("pgx", admin)
	if err != nil {
		unavailable(t, "PostgreSQL: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := adb.PingContext(ctx); err != nil {
		adb.Close()
		unavailable(t, "PostgreSQL not usable at %s: %v", admin, err)
	}
	name := "qrs_faults_" + randHex(6)
	if _, err := adb.Exec("CREATE DATABASE " + name); err != nil {
		adb.Close()
		t.Fatalf("faults: create database: %v", err)
	}
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	db, err := sql.Open("pgx", u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db.Close()
		if _, err := adb.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Logf("faults: drop %s: %v", name, err)
		}
		adb.Close()
	})
	return u.String(), db
}
