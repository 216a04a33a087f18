// Command qrstand is the QR stand daemon and its service tool.
//
//	qrstand [flags]                       run the stand (the systemd service)
//	qrstand -sim DIR [flags]              run a simulated stand writing into DIR
//	qrstand say 12.50 [-o out.wav]        print the Mandarin text, play or write the WAV
//	qrstand print-test                    print the test page
//	qrstand show [-o screen.png]          draw the current screen once
//	qrstand status                        print the stand's local state as JSON
//
// Configuration: a TOML file (-config, default /etc/qrstand/qrstand.toml
// when it exists) with flags on top; see firmware/README.md.

// The runtime's GOMAXPROCS follower re-reads the CPU affinity and cgroup
// limit from sysmon every few seconds; a stand's CPUs never change, and an
// idle stand should do nothing between its timers (firmware/README.md,
// "Idle wakeups").
//
//go:debug updatemaxprocs=0
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/qrstand/qrstand/firmware/internal/config"
	"github.com/qrstand/qrstand/firmware/internal/speech"
	"github.com/qrstand/qrstand/firmware/internal/update"
)

// version is set at build time: -ldflags "-X main.version=…".
var version = "dev"

const defaultConfig = "/etc/qrstand/qrstand.toml"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "qrstand:", err)
		os.Exit(1)
	}
}

// options are the command line on top of the config file.
type options struct {
	cfg      config.Config
	simDir   string
	logLevel string
	out      string // -o for say and show
	channel  string // -channel for say
	// updateKeys is the file of trusted update signing keys.
	updateKeys string
	// slot is the installed update this process runs as ($QRSTAND_SLOT).
	slot string
	// notify speaks to systemd; a no-op outside it.
	notify notifier
	// watchdog is the systemd watchdog ping interval; 0 for none.
	watchdog time.Duration
	args     []string
}

func parse(sub string, args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("qrstand "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	configFile := fs.String("config", getenv("QRSTAND_CONFIG"), "TOML config file (default "+defaultConfig+" if it exists)")
	sim := fs.String("sim", "", "simulate everything; frames, receipts and announcements go to this folder")
	broker := fs.String("broker", "", "MQTT broker URL, e.g. tcp://127.0.0.1:1883")
	id := fs.String("id", "", "device id")
	secret := fs.String("secret", "", "device secret (prefer -secret-file or QRSTAND_SECRET: flags show in ps)")
	secretFile := fs.String("secret-file", "", "file holding the device secret")
	provision := fs.String("provision", "", `JSON provisioning file {"device_id","secret","broker"}`)
	data := fs.String("data", "", "data folder (journal, MQTT store); default /var/lib/qrstand, or DIR/data with -sim")
	simBattery := fs.Bool("sim-battery", false, "with -sim: a battery read from DIR/battery (\"MILLIVOLTS MILLIAMPS\", e.g. 3600 150)")
	httpAddr := fs.String("http", "", "simulator page address (default 127.0.0.1:8090; off to disable)")
	voicePack := fs.String("voice-pack", "", "voice pack folder (default [speech] pack, else "+speech.DefaultPackDir+")")
	fs.StringVar(&o.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&o.updateKeys, "update-keys", defaultUpdateKeys, "file of trusted firmware update signing keys (base64 ed25519, one a line)")
	if sub == "say" || sub == "show" {
		fs.StringVar(&o.out, "o", "", "write to this file instead of playing/drawing")
	}
	if sub == "say" {
		fs.StringVar(&o.channel, "channel", "wechat", "wechat, alipay or none (the spoken prefix)")
	}
	// Allow "say 12.50 -o x.wav": flags after the first positional argument.
	var pos []string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			return o, err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	o.args = pos

	path := *configFile
	if path == "" {
		if _, err := os.Stat(defaultConfig); err == nil && *sim == "" {
			path = defaultConfig
		}
	}
	c := config.Default()
	if path != "" {
		var err error
		if c, err = config.Load(path); err != nil {
			return o, err
		}
	}
	if *sim != "" {
		o.simDir = *sim
		c.Sim.Dir = *sim
		c.Hardware.Panel, c.Hardware.Printer = "sim", "sim"
		if c.Hardware.Battery.Monitor == "ina219" {
			c.Hardware.Battery.Monitor = "none"
		}
		if *simBattery {
			c.Hardware.Battery.Monitor = "sim"
		}
		if *data == "" && (path == "" || c.DataDir == config.Default().DataDir) {
			c.DataDir = filepath.Join(*sim, "data")
		}
	}
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&c.Broker, *broker)
	set(&c.DeviceID, *id)
	set(&c.Secret, *secret)
	set(&c.SecretFile, *secretFile)
	set(&c.Provision, *provision)
	set(&c.DataDir, *data)
	set(&c.Sim.HTTP, *httpAddr)
	set(&c.Speech.Pack, *voicePack)
	if c.Speech.Pack == "" {
		c.Speech.Pack = checkoutVoicePack()
	}
	if o.simDir != "" && c.Provision != "" && sub == "run" {
		// `make run` starts the cloud and the simulated stand together; the
		// cloud's dev mode writes the provisioning file as it starts.
		waitFile(c.Provision, 30*time.Second)
	}
	if err := c.ResolveSecrets(getenv); err != nil {
		return o, err
	}
	o.cfg = c
	o.slot = getenv(update.SlotEnv)
	o.notify = newNotifier(getenv)
	o.watchdog = watchdogEvery(getenv)
	return o, nil
}

func newLogger(level string, w io.Writer) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level: %w", err)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}

// run is main without the process: testable.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	sub := "run"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		sub, args = args[0], args[1:]
	}
	switch sub {
	case "run", "say", "print-test", "show", "status":
	case "version":
		fmt.Fprintln(stdout, version)
		return nil
	default:
		return fmt.Errorf("unknown command %q (run, say, print-test, show, status, version)", sub)
	}
	o, err := parse(sub, args, getenv, stderr)
	if err != nil {
		return err
	}
	log, err := newLogger(o.logLevel, stderr)
	if err != nil {
		return err
	}
	switch sub {
	case "say":
		return cmdSay(ctx, o, stdout)
	case "print-test":
		return cmdPrintTest(ctx, o, stdout)
	case "show":
		return cmdShow(ctx, o, stdout, log)
	case "status":
		return cmdStatus(ctx, o, stdout)
	}
	if err := launch(o, log, getenv); err != nil {
		return err
	}
	err = daemon(ctx, o, log, nil)
	if errors.Is(err, update.ErrRestart) {
		// The service manager starts the packaged binary again, whose
		// launch runs the new version on trial.
		log.Info("qrstand: exiting to run the installed update")
		return nil
	}
	return err
}

// waitFile waits up to d for path to exist.
func waitFile(path string, d time.Duration) {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(path); err == nil {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}
