package faults

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/qrstand/qrstand/firmware/internal/loadkit"
	"github.com/qrstand/qrstand/firmware/internal/stand"
)

// hostSpec is what a child process hosting stands runs: the stands, and
// the crash point at whose dieAfter-th passage (counted over all its
// stands) the process kills itself with SIGKILL.
type hostSpec struct {
	Broker   string              `json:"broker"`
	Stands   []loadkit.Provision `json:"stands"`
	Dirs     []string            `json:"dirs"`
	DieAt    stand.Point         `json:"die_at"`
	DieAfter int                 `json:"die_after"`
}

// hostEnv names the variable that turns this test binary into a stand
// host; only TestMain reads it.
const hostEnv = "QRSTAND_FAULTS_HOST"

// host is the child's side: run the stands until stdin closes, or die
// at the crash point. It returns the exit code.
func host(specJSON string) int {
	var sp hostSpec
	if err := json.Unmarshal([]byte(specJSON), &sp); err != nil {
		fmt.Fprintln(os.Stderr, "faults host:", err)
		return 2
	}
	var mu sync.Mutex
	passed := 0
	die := func(p stand.Point, _ []string) error {
		if p != sp.DieAt {
			return nil
		}
		mu.Lock()
		passed++
		n := passed
		mu.Unlock()
		if n == sp.DieAfter {
			// SIGKILL: no deferred cleanup, SQLite and MQTT left as a
			// power cut leaves them.
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // the signal is on its way
		}
		return nil
	}
	var stands []*loadkit.Stand
	for i, p := range sp.Stands {
		s, err := loadkit.StartStand(loadkit.StandConfig{ID: p.DeviceID, Secret: p.Secret, Broker: sp.Broker, Dir: sp.Dirs[i], Hook: die})
		if err != nil {
			fmt.Fprintln(os.Stderr, "faults host:", err)
			return 1
		}
		stands = append(stands, s)
	}
	io.Copy(io.Discard, os.Stdin) // the parent closes it to stop us cleanly
	for _, s := range stands {
		s.Stop()
	}
	return 0
}

// hosted is a running child host.
type hosted struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	done  chan error
}

func startHost(sp hostSpec) (*hosted, error) {
	b, _ := json.Marshal(sp)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), hostEnv+"="+string(b))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	h := &hosted{cmd: cmd, stdin: in, done: make(chan error, 1)}
	go func() { h.done <- cmd.Wait() }()
	return h, nil
}

// killed waits (up to d) for the host to die and reports whether SIGKILL
// ended it.
func (h *hosted) killed(d time.Duration) error {
	select {
	case err := <-h.done:
		h.done <- err
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
				return nil
			}
		}
		return fmt.Errorf("the stand host ended otherwise: %v", err)
	case <-time.After(d):
		return errors.New("the stand host did not reach its crash point")
	}
}

// stop closes stdin and waits (10 s, then SIGKILL).
func (h *hosted) stop() {
	h.stdin.Close()
	select {
	case err := <-h.done:
		h.done <- err
	case <-time.After(10 * time.Second):
		h.cmd.Process.Kill()
	}
}
