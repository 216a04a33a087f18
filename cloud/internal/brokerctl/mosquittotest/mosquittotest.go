// Package mosquittotest starts a private Mosquitto 2 for tests, from the
// documented cloud/deploy/mosquitto/mosquitto.conf with only its ports and
// paths rewritten: a plain listener and a TLS listener (self-signed
// certificate) on free loopback ports, persistence and the
// dynamic-security file in t.TempDir(), and a dynsec admin login. It skips
// the test when mosquitto, mosquitto_ctrl or the plugin are missing, and
// fails instead under CI=true.
package mosquittotest

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Plugin is where Debian's mosquitto package puts dynamic security.
const Plugin = "/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so"

// Broker is a running private Mosquitto.
type Broker struct {
	// URL is the plain listener (tcp://127.0.0.1:port); TLSURL the TLS one.
	URL, TLSURL string
	// AdminUser and AdminPassword are the dynsec admin.
	AdminUser, AdminPassword string
	// Dir holds the config, the dynsec file, persistence and certificates.
	Dir string
	cmd *exec.Cmd
}

// ConfPath is the documented config, found from this source file.
func ConfPath() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "../../../deploy/mosquitto/mosquitto.conf")
}

func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("mosquittotest: required under CI=true: "+format, args...)
	}
	t.Skipf("mosquittotest: "+format+"; skipping", args...)
}

// Start runs Mosquitto until the test ends.
func Start(t testing.TB) *Broker {
	t.Helper()
	bin, err := exec.LookPath("mosquitto")
	if err != nil {
		if _, err2 := os.Stat("/usr/sbin/mosquitto"); err2 != nil {
			unavailable(t, "mosquitto not installed")
		}
		bin = "/usr/sbin/mosquitto"
	}
	ctrl, err := exec.LookPath("mosquitto_ctrl")
	if err != nil {
		unavailable(t, "mosquitto_ctrl not installed")
	}
	if _, err := os.Stat(Plugin); err != nil {
		unavailable(t, "dynamic security plugin %s missing", Plugin)
	}
	dir := t.TempDir()
	b := &Broker{Dir: dir, AdminUser: "qrstand_admin", AdminPassword: "admin-" + fmt.Sprint(time.Now().UnixNano())}
	dynsec := filepath.Join(dir, "dynamic-security.json")
	if out, err := exec.Command(ctrl, "dynsec", "init", dynsec, b.AdminUser, b.AdminPassword).CombinedOutput(); err != nil {
		t.Fatalf("mosquittotest: dynsec init: %v\n%s", err, out)
	}
	writeCert(t, dir)
	port, tlsPort := freePort(t), freePort(t)
	conf, err := Rewrite(ConfPath(), dir, port, tlsPort)
	if err != nil {
		t.Fatal(err)
	}
	confFile := filepath.Join(dir, "mosquitto.conf")
	if err := os.WriteFile(confFile, conf, 0o600); err != nil {
		t.Fatal(err)
	}
	b.URL = fmt.Sprintf("tcp://127.0.0.1:%d", port)
	b.TLSURL = fmt.Sprintf("ssl://127.0.0.1:%d", tlsPort)
	b.cmd = exec.Command(bin, "-c", confFile)
	b.cmd.Stderr = &syncWriter{buf: &bytes.Buffer{}}
	b.cmd.Stdout = b.cmd.Stderr
	if err := b.cmd.Start(); err != nil {
		t.Fatalf("mosquittotest: start: %v", err)
	}
	t.Cleanup(func() {
		b.cmd.Process.Kill()
		b.cmd.Wait()
		if t.Failed() {
			t.Logf("mosquitto log:\n%s", b.Logs())
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("mosquittotest: broker did not listen: %v\n%s", err, b.Logs())
		}
		time.Sleep(20 * time.Millisecond) // polling a port that is not there yet
	}
	return b
}

// Pid is the broker's process id (for RSS measurements).
func (b *Broker) Pid() int { return b.cmd.Process.Pid }

// Logs returns Mosquitto's output so far.
func (b *Broker) Logs() string {
	w := b.cmd.Stderr.(*syncWriter)
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// Rewrite returns the documented config with its listener ports and file
// paths moved to dir, port and tlsPort, and the process kept as the
// current user (root would otherwise drop to the "mosquitto" user, which
// cannot write dir). Every other line is kept as documented.
func Rewrite(path, dir string, port, tlsPort int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("mosquittotest: %w", err)
	}
	defer f.Close()
	var out bytes.Buffer
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		if len(fields) > 0 && !strings.HasPrefix(fields[0], "#") {
			seen[fields[0]] = true
			switch {
			case fields[0] == "listener" && len(fields) == 3:
				line = fmt.Sprintf("listener %d 127.0.0.1", port)
			case fields[0] == "listener":
				line = fmt.Sprintf("listener %d 127.0.0.1", tlsPort)
			case fields[0] == "plugin_opt_config_file":
				line = "plugin_opt_config_file " + filepath.Join(dir, "dynamic-security.json")
			case fields[0] == "persistence_location":
				line = "persistence_location " + dir + "/"
			case fields[0] == "certfile":
				line = "certfile " + filepath.Join(dir, "server.crt")
			case fields[0] == "keyfile":
				line = "keyfile " + filepath.Join(dir, "server.key")
			}
		}
		out.WriteString(line + "\n")
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	for _, k := range []string{"listener", "plugin", "plugin_opt_config_file", "set_tcp_nodelay", "max_packet_size", "persistence", "certfile"} {
		if !seen[k] {
			return nil, fmt.Errorf("mosquittotest: %s has no %q line", path, k)
		}
	}
	if os.Geteuid() == 0 {
		out.WriteString("user root\n")
	}
	return out.Bytes(), nil
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// writeCert writes a self-signed certificate for 127.0.0.1 into dir.
func writeCert(t testing.TB, dir string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "server.crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "server.key"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
}
