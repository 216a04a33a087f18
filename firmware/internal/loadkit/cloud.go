package loadkit

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Cloud is a qrstand-cloud child process. Start runs it (again, after
// Stop or Kill, on the same ports, data and environment) and waits until
// it answers /healthz.
type Cloud struct {
	Bin    string   // the qrstand-cloud binary
	Args   []string // its flags
	Env    []string // its environment (nil: this process's)
	Base   string   // its HTTP base URL, http://127.0.0.1:port
	Broker string   // the broker its stands dial (the embedded one for -dev)
	Data   string   // its data folder
	Log    string   // file its output is appended to

	cmd    *exec.Cmd
	exited chan struct{}
	logf   *os.File
}

// FreePort asks the kernel for a free loopback port.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// CloudBinary finds qrstand-cloud: $QRSTAND_CLOUD_BIN, else one beside
// this executable (make build puts both in .build/), else a go build of
// the module's cloud command into dir. $PATH is not searched: an old
// install there would be measured instead of this tree.
func CloudBinary(ctx context.Context, dir string) (string, error) {
	if b := os.Getenv("QRSTAND_CLOUD_BIN"); b != "" {
		return b, nil
	}
	if self, err := os.Executable(); err == nil {
		b := filepath.Join(filepath.Dir(self), "qrstand-cloud")
		if st, err := os.Stat(b); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return b, nil
		}
	}
	out := filepath.Join(dir, "qrstand-cloud")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "github.com/qrstand/qrstand/cloud/cmd/qrstand-cloud")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("loadkit: go build qrstand-cloud (run inside the module, or set QRSTAND_CLOUD_BIN): %w", err)
	}
	return out, nil
}

// StartDev runs qrstand-cloud -dev (SQLite, embedded broker, WeChat
// simulators, seeded logins) on free loopback ports with its data in
// dir/cloud.
func StartDev(ctx context.Context, bin, dir string) (*Cloud, error) {
	hp, err := FreePort()
	if err != nil {
		return nil, err
	}
	mp, err := FreePort()
	if err != nil {
		return nil, err
	}
	c := &Cloud{Bin: bin, Base: fmt.Sprintf("http://127.0.0.1:%d", hp), Broker: fmt.Sprintf("tcp://127.0.0.1:%d", mp),
		Data: filepath.Join(dir, "cloud"), Log: filepath.Join(dir, "cloud.log"),
		Env: append(os.Environ(), "QRSTAND_SECRET_KEY=", "QRSTAND_CONFIG=")}
	c.Args = []string{"-dev", "-data", c.Data, "-metrics", "", "-http", fmt.Sprintf("127.0.0.1:%d", hp),
		"-mqtt", fmt.Sprintf("127.0.0.1:%d", mp), "-log-level", "warn"}
	if err := c.Start(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// Start runs the process and waits for /healthz (60 s at most).
func (c *Cloud) Start(ctx context.Context) error {
	lf, err := os.OpenFile(c.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	c.logf = lf
	c.cmd = exec.Command(c.Bin, c.Args...)
	c.cmd.Stdout, c.cmd.Stderr = lf, lf
	c.cmd.Env = c.Env
	c.cmd.SysProcAttr = childAttr()
	if err := c.cmd.Start(); err != nil {
		lf.Close()
		return err
	}
	exited := make(chan struct{})
	c.exited = exited
	go func() { _ = c.cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(c.Base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		select {
		case <-exited:
			lf.Close()
			return fmt.Errorf("loadkit: qrstand-cloud exited at start:\n%s", c.LogTail())
		case <-ctx.Done():
			c.Kill()
			return ctx.Err()
		case <-time.After(100 * time.Millisecond): // polling a child process for a fact
		}
		if time.Now().After(deadline) {
			c.Kill()
			return errors.New("loadkit: qrstand-cloud did not answer /healthz in 60 s")
		}
	}
}

// LogTail is the end of the process's log, for an error message.
func (c *Cloud) LogTail() string {
	b, _ := os.ReadFile(c.Log)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// Stop ends the process: SIGTERM, then SIGKILL after 10 s. It does
// nothing when the process is not running.
func (c *Cloud) Stop() { c.end(syscall.SIGTERM) }

// Kill ends the process with SIGKILL: no shutdown, as a power cut.
func (c *Cloud) Kill() { c.end(syscall.SIGKILL) }

func (c *Cloud) end(sig syscall.Signal) {
	if c.cmd == nil {
		return
	}
	select {
	case <-c.exited:
	default:
		_ = c.cmd.Process.Signal(sig)
		select {
		case <-c.exited:
		case <-time.After(10 * time.Second):
			_ = c.cmd.Process.Kill()
			<-c.exited
		}
	}
	c.logf.Close()
	c.cmd = nil
}

// Pid is the running process's id (0 when it is not running).
func (c *Cloud) Pid() int {
	if c.cmd == nil {
		return 0
	}
	return c.cmd.Process.Pid
}

// Usage reads the process's resident memory (KB) and CPU time
// (user+system) from /proc.
func (c *Cloud) Usage() (rssKB int64, cpu time.Duration, err error) {
	if c.cmd == nil {
		return 0, 0, errors.New("loadkit: cloud not running")
	}
	pid := c.cmd.Process.Pid
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			f := strings.Fields(l)
			if len(f) >= 2 {
				rssKB, _ = strconv.ParseInt(f[1], 10, 64)
			}
		}
	}
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	// Fields after the command name (which may hold spaces) start at
	// state; utime and stime are fields 14 and 15 of the whole line.
	s := string(st)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0, 0, errors.New("loadkit: short /proc stat")
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	stt, _ := strconv.ParseInt(f[12], 10, 64)
	const hz = 100 // USER_HZ on Linux
	return rssKB, time.Duration(ut+stt) * time.Second / hz, nil
}

var loginRe = regexp.MustCompile(`provider console login: \S+\s+user "([^"]+)"\s+password "([^"]+)"`)

// DevLogin is the provider console login a -dev cloud seeded into its
// data folder (dev-logins.txt).
func (c *Cloud) DevLogin() (user, password string, err error) {
	b, err := os.ReadFile(filepath.Join(c.Data, "dev-logins.txt"))
	if err != nil {
		return "", "", err
	}
	m := loginRe.FindSubmatch(b)
	if m == nil {
		return "", "", errors.New("loadkit: no provider login in dev-logins.txt")
	}
	return string(m[1]), string(m[2]), nil
}
