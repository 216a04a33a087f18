package stand

import (
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3/physic"
	"periph.io/x/devices/v3/ina219"

	"github.com/qrstand/qrstand/display"
	"github.com/qrstand/qrstand/firmware/internal/power"
)

// pack is a battery whose voltage and current the test sets.
type pack struct {
	mu     sync.Mutex
	mv, ma int
}

func (p *pack) set(mv, ma int) {
	p.mu.Lock()
	p.mv, p.ma = mv, ma
	p.mu.Unlock()
}

func (p *pack) Sense() (ina219.PowerMonitor, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return ina219.PowerMonitor{Voltage: physic.ElectricPotential(p.mv) * physic.MilliVolt, Current: physic.ElectricCurrent(p.ma) * physic.MilliAmpere}, nil
}

// TestBatteryLowAndCritical: a draining pack shows the low-battery banner
// with the QR, then at the critical level the stand leaves the plain store
// QR on the screen and stops with ErrBatteryCritical.
func TestBatteryLowAndCritical(t *testing.T) {
	r := newRig(t, false)
	p := &pack{mv: 3900, ma: 150}
	mon, err := power.NewMonitor(p, power.Opts{})
	if err != nil {
		t.Fatal(err)
	}
	run := r.start(opts{battery: mon})
	cfg := storeConfig()
	r.cloud.Send(r.id, cfg, 0)
	store := display.Store{Name: cfg.StoreName, URL: cfg.QRURL}
	st := func(pct int) display.Status {
		return display.Status{Network: display.NetOnline, Paper: display.PaperOK, Battery: display.Battery{Present: true, Percent: pct}}
	}
	r.cloud.WaitFor("store screen on battery", func() bool { return sameFrame(run.face.Current(), composed(t, store, st(71))) })

	p.set(3600, 150) // 18 %
	r.cloud.WaitFor("low-battery frame", func() bool {
		return sameFrame(run.face.Current(), composed(t, display.LowBattery{Store: store}, st(18)))
	})
	// Battery policy: no payment flash on battery.
	refreshes := len(run.panel.Refreshes())
	m := r.cloud.Send(r.id, paid("ORD-BAT", 500, time.Now()), 1)
	r.cloud.WaitFor("receipt", func() bool { return r.cloud.Acked(m.ID) && len(receipts(t, r.dir)) == 1 })
	r.settle(run, 2) // a flash would have been drawn before the marker is done
	if n := len(run.panel.Refreshes()) - refreshes; n != 0 {
		t.Errorf("%d refreshes for two payments on battery, want 0 (no flash)", n)
	}

	p.set(3400, 150) // 3 %
	if err := run.waitExit(t); err != ErrBatteryCritical {
		t.Fatalf("Run = %v, want ErrBatteryCritical", err)
	}
	final := composed(t, store, display.Status{Battery: display.Battery{Present: true, Percent: 3}})
	if !sameFrame(run.face.Current(), final) {
		t.Error("the last frame is not the plain store QR")
	}
	if st := r.cloud.UpsOf("status"); len(st) == 0 {
		t.Error("no status sent")
	}
}
