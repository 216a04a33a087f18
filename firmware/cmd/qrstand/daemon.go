package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/devices/v3/ssd1306/image1bit"

	"github.com/qrstand/qrstand/display"
	"github.com/qrstand/qrstand/firmware/internal/buttons"
	"github.com/qrstand/qrstand/firmware/internal/clock"
	"github.com/qrstand/qrstand/firmware/internal/config"
	"github.com/qrstand/qrstand/firmware/internal/face"
	"github.com/qrstand/qrstand/firmware/internal/hw"
	"github.com/qrstand/qrstand/firmware/internal/journal"
	"github.com/qrstand/qrstand/firmware/internal/power"
	"github.com/qrstand/qrstand/firmware/internal/simweb"
	"github.com/qrstand/qrstand/firmware/internal/stand"
	"github.com/qrstand/qrstand/firmware/internal/update"
	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/standclient"
)

// hooks let tests reach into a running daemon.
type hooks struct {
	clock   clock.Clock // default clock.Real
	crash   func(stand.Point, []string) error
	onFrame func(*image1bit.VerticalLSB)
	ready   func(addr string) // the sim page's address
	battery stand.BatterySource
}

// daemon runs the stand until ctx ends.
func daemon(ctx context.Context, o options, log *slog.Logger, hk *hooks) (retErr error) {
	if hk == nil {
		hk = &hooks{}
	}
	c := o.cfg
	if err := c.Validate(); err != nil {
		return err
	}
	clk := hk.clock
	if clk == nil {
		clk = clock.Real{}
	}
	now := clk.Now
	log.Info("qrstand starting", "version", version, "device", c.DeviceID, "broker", c.Broker, "sim", c.Sim.Dir)
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	var closers []func() error
	defer func() {
		for i := len(closers) - 1; i >= 0; i-- {
			if err := closers[i](); err != nil {
				log.Warn("close", "err", err)
			}
		}
	}()

	// The panel first, so a wiring fault shows at once. It keeps the last
	// image (the store QR) while the stand waits for the clock; the first
	// new frame is drawn by Stand.Run from the journal.
	panel, dcfg, closePanel, err := openPanel(c)
	if err != nil {
		return err
	}
	closers = append(closers, closePanel)
	dcfg.Log = log
	disp, err := display.New(panel, dcfg)
	if err != nil {
		return err
	}
	lang := display.ZhCN
	if c.Lang == "en" {
		lang = display.EnUS
	}
	fc := face.New(disp, face.Opts{Lang: lang, Log: log, OnFrame: hk.onFrame})

	// A Pi boots in 1970 until NTP answers: no TLS, no timestamps before.
	if err := clock.Wait(ctx, clock.Opts{Now: now, Max: c.ClockWait.Duration, Log: log}); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		log.Error("starting without a sane clock", "err", err)
	}

	j, err := journal.Open(filepath.Join(c.DataDir, "journal.db"), now)
	if err != nil {
		return err
	}
	closers = append(closers, j.Close)

	pr, err := openPrinter(c)
	if err != nil {
		return err
	}
	an, _, err := openSpeaker(c)
	if err != nil {
		return err
	}

	// Battery: the first reading chooses the keepalive (battery policy).
	bat := hk.battery
	if bat == nil && c.Hardware.Battery.Monitor == "ina219" {
		b := c.Hardware.Battery
		bus, err := hw.OpenI2C(b.I2CBus)
		if err != nil {
			return err
		}
		closers = append(closers, bus.Close)
		m, err := power.OpenINA219(bus, b.Address, b.ShuntMilliOhm, power.Opts{LowPercent: b.LowPercent, CriticalPercent: b.CriticalPercent})
		if err != nil {
			return err
		}
		bat = m
	}
	var simBattery stand.BatterySource // the knob's battery, when simulated
	simBatteryFile := ""
	if bat == nil && c.Hardware.Battery.Monitor == "sim" && c.Sim.Dir != "" {
		b := c.Hardware.Battery
		simBatteryFile = filepath.Join(c.Sim.Dir, "battery")
		m, err := power.NewMonitor(power.FileSensor{Path: simBatteryFile}, power.Opts{LowPercent: b.LowPercent, CriticalPercent: b.CriticalPercent})
		if err != nil {
			return err
		}
		bat, simBattery = m, m
	}
	policy := power.PolicyFor(power.Battery{}, c.KeepAlive.Duration, c.BatteryKeepAlive.Duration)
	if bat != nil {
		if r, err := bat.Read(); err == nil {
			policy = power.PolicyFor(r, c.KeepAlive.Duration, c.BatteryKeepAlive.Duration)
			log.Info("battery", "pct", r.Percent, "mv", r.MilliVolt, "on_battery", r.OnBattery)
		} else {
			log.Warn("battery", "err", err)
		}
	}

	cl, err := standclient.New(standclient.Config{
		Broker: c.Broker, CA: []byte(c.BrokerCA), DeviceID: c.DeviceID, Secret: c.Secret,
		StoreDir: filepath.Join(c.DataDir, "mqtt"), KeepAlive: policy.KeepAlive, Logger: log, Now: now,
	})
	if err != nil {
		return err
	}
	poll := policy.PollEvery
	if bat != nil && c.Hardware.Battery.Every.Duration > poll {
		poll = c.Hardware.Battery.Every.Duration
	}
	// Firmware updates: reported after every connect and on each change;
	// the first connect is the new version's health check.
	healthy := make(chan struct{})
	var healthyOnce sync.Once
	up, err := newUpdater(c, o.updateKeys, log, func(ctx context.Context, st *mqtt.UpdateState) {
		if cl.Connected() {
			if _, err := cl.Publish(ctx, st); err != nil {
				log.Warn("update: report", "err", err)
			}
		}
	})
	if err != nil {
		return err
	}
	cl.OnConnect(func(ctx context.Context) {
		healthyOnce.Do(func() { close(healthy) })
		if _, err := cl.Publish(ctx, up.Report()); err != nil {
			log.Warn("update: report", "err", err)
		}
	})
	defer func() {
		if retErr != nil && !errors.Is(retErr, update.ErrRestart) && !errors.Is(retErr, update.ErrUnhealthy) {
			up.Fail(context.Background(), o.slot, retErr)
		}
	}()

	reboot := func() error { return exec.Command("systemctl", "reboot").Run() }
	if c.Sim.Dir != "" {
		// Never reboot the developer's machine: the simulated stand
		// restarts nothing and says so.
		reboot = func() error {
			log.Warn("sim: stand.command reboot received; a real stand would reboot now")
			return nil
		}
	}
	s, err := stand.New(stand.Config{
		DeviceID: c.DeviceID, Firmware: version, Model: c.Hardware.Profile, Panel: c.Hardware.Panel,
		Profile: profile(c), StatusEvery: c.StatusEvery.Duration, PollEvery: poll,
		Reboot: reboot, Update: up.Announce,
		Hook: hk.crash, Clock: clk, Log: log,
	}, stand.Deps{Journal: j, Uplink: cl, Face: fc, Printer: pr, Announcer: an, Battery: bat})
	if err != nil {
		return err
	}

	// The updater, the watchdog, the sim page and the buttons end with
	// runCtx. The stand runs outside this group: a slow shutdown must not
	// hold the process (see below).
	var wg sync.WaitGroup
	runCtx, cancel := context.WithCancelCause(ctx)
	defer func() { cancel(nil); wg.Wait() }()

	wg.Go(func() {
		if err := up.Run(runCtx); err != nil {
			cancel(err) // ErrRestart: stop gracefully, then exit into it
		}
	})
	wg.Go(func() {
		if err := up.Watch(runCtx, o.slot, healthy); err != nil {
			log.Error("update", "err", err)
			cancel(err)
		}
	})
	wg.Go(func() {
		o.notify.watchdog(runCtx, o.watchdog, func(ctx context.Context) error {
			// Alive: the journal answers (the worker shares it).
			_, err := j.Setting(ctx, "watchdog")
			if errors.Is(err, journal.ErrNotFound) {
				err = nil
			}
			return err
		}, log.Warn)
	})

	if c.Sim.Dir != "" && c.Sim.HTTP != "off" {
		ln, err := net.Listen("tcp", c.Sim.HTTP)
		if err != nil {
			return fmt.Errorf("sim page: %w", err)
		}
		srv := &http.Server{Handler: simweb.Handler(c.Sim.Dir, c.DeviceID, log, simOptions(s, j, now, simKnobs(s, pr, simBattery, simBatteryFile))), ReadHeaderTimeout: 5 * time.Second}
		log.Info("simulator page", "url", "http://"+ln.Addr().String()+"/")
		if hk.ready != nil {
			hk.ready(ln.Addr().String())
		}
		wg.Go(func() { _ = srv.Serve(ln) })
		wg.Go(func() {
			<-runCtx.Done()
			sctx, scancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer scancel()
			_ = srv.Shutdown(sctx)
		})
	}
	if c.Hardware.Panel != "sim" && c.Sim.Dir == "" {
		bs, err := openButtons(c, s, an)
		if err != nil {
			log.Warn("buttons disabled", "err", err)
		} else if len(bs) > 0 {
			wg.Go(func() {
				_ = buttons.Run(runCtx, bs, buttons.Opts{Debounce: c.Hardware.Buttons.Debounce.Duration, Log: log})
			})
		}
	}

	// Graceful shutdown: Run finishes the event in hand and says offline;
	// past ShutdownTimeout the process leaves anyway (the journal is
	// crash-safe, so nothing is lost).
	done := make(chan error, 1)
	go func() { done <- s.Run(runCtx) }()
	if err := o.notify.send("READY=1"); err != nil {
		log.Warn("sd_notify", "err", err)
	}
	defer func() { _ = o.notify.send("STOPPING=1") }()
	select {
	case err = <-done:
	case <-ctx.Done():
		select {
		case err = <-done:
		case <-time.After(c.ShutdownTimeout.Duration):
			return fmt.Errorf("shutdown took longer than %v", c.ShutdownTimeout.Duration)
		}
	}
	if errors.Is(err, stand.ErrBatteryCritical) {
		log.Warn("battery critical: powering off; the store QR stays on the screen")
		if c.Sim.Dir == "" {
			return exec.Command("systemctl", "poweroff").Run()
		}
		return err
	}
	if err == nil {
		if cause := restartCause(runCtx); cause != nil {
			return cause
		}
		log.Info("qrstand stopped")
	}
	return err
}

// openButtons wires the configured GPIO buttons to the stand's actions.
func openButtons(c config.Config, s *stand.Stand, _ any) ([]buttons.Button, error) {
	b := c.Hardware.Buttons
	var out []buttons.Button
	for _, x := range []struct {
		name, pin string
		press     func(context.Context) error
	}{
		{"repeat", b.Repeat, s.RepeatLast},
		{"reprint", b.Reprint, func(ctx context.Context) error { return s.Reprint(ctx, "") }},
		{"today", b.Today, s.PrintToday},
		{"volume", b.Volume, s.VolumeStep},
	} {
		if x.pin == "" {
			continue
		}
		p, err := hw.Pin(x.pin)
		if err != nil {
			return nil, err
		}
		out = append(out, buttons.Button{Name: x.name, Pin: gpio.PinIn(p), Press: x.press})
	}
	return out, nil
}
