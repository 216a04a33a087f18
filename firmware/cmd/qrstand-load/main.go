// Command qrstand-load runs many virtual stands (the real stand code, in
// sim mode, each with its own synchronous=FULL journal and MQTT
// connection) against a qrstand-cloud -dev it starts as a child process,
// or against an external deployment (-cloud, -broker), pays through the
// real pay flow at a fixed rate, and checks per order that every payment
// was announced and printed exactly once on every stand of its store. See
// firmware/README.md.
//
//	qrstand-load -stands N -rate R -duration D [-stores S] [-cloud URL -broker URL] [-json]
//
// An external cloud must run the sandbox (its WeChat Pay simulator takes
// the payments); the load logs in to its console as a provider whose
// user and password are in $QRSTAND_LOAD_USER and $QRSTAND_LOAD_PASSWORD
// (not flags: ps shows flags), registers the stands there (POST
// /console/stands) and adds a merchant with the stores. -cloud may name
// several nodes, comma-separated: customers are spread over them.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/qrstand/qrstand/firmware/internal/loadkit"
)

// Report is the result of a run; with -json it is printed as one object
// with exactly these keys.
type Report struct {
	Paid               int64   `json:"paid"`
	Announced          int64   `json:"announced"`
	Printed            int64   `json:"printed"`
	Lost               int64   `json:"lost"`
	Duplicated         int64   `json:"duplicated"`
	P50ms              float64 `json:"p50_ms"`
	P90ms              float64 `json:"p90_ms"`
	P99ms              float64 `json:"p99_ms"`
	MaxMs              float64 `json:"max_ms"`
	RawRTTP50ms        float64 `json:"raw_rtt_p50_ms"`
	RawRTTP99ms        float64 `json:"raw_rtt_p99_ms"`
	RatioP99           float64 `json:"ratio_p99"`
	StandsConnected    int     `json:"stands_connected"`
	CloudRSSMB         float64 `json:"cloud_rss_mb"`
	CloudRSSPerStandKB float64 `json:"cloud_rss_per_stand_kb"`
	CloudCPUs          float64 `json:"cloud_cpu_s"`

	// CaughtUp counts deliveries that reached a stand after the announce
	// window: the stand said them in one summary, as designed, so they
	// count as announced without their own announcement. Table only.
	CaughtUp int64 `json:"-"`
}

type options struct {
	stands, stores int
	rate           float64
	duration       time.Duration
	cloud, broker  string
	json           bool
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "qrstand-load:", err)
		os.Exit(1)
	}
}

func parse(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("qrstand-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.stands, "stands", 10, "virtual stands (1..9999)")
	fs.IntVar(&o.stores, "stores", 0, "stores the stands are spread over (default: one per stand)")
	fs.Float64Var(&o.rate, "rate", 5, "payments per second, spread over the stores")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "how long payments are made")
	fs.StringVar(&o.cloud, "cloud", "", "an external cloud's base URL, or several nodes' comma-separated (with -broker; login in $QRSTAND_LOAD_USER and $QRSTAND_LOAD_PASSWORD)")
	fs.StringVar(&o.broker, "broker", "", "the external broker URL the stands dial, with -cloud")
	fs.BoolVar(&o.json, "json", false, "print the report as one JSON object")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.stores == 0 {
		o.stores = o.stands
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case o.stands < 1 || o.stands > 9999:
		return o, errors.New("-stands must be 1..9999")
	case o.stores < 1 || o.stores > o.stands:
		return o, errors.New("-stores must be 1..stands")
	case !(o.rate > 0 && o.rate <= 5000):
		return o, errors.New("-rate must be in (0, 5000]")
	case o.duration <= 0 || o.duration > 24*time.Hour:
		return o, errors.New("-duration must be in (0, 24h]")
	case o.rate*o.duration.Seconds() > 1e6:
		return o, errors.New("-rate × -duration must be at most 1,000,000 payments")
	case (o.cloud == "") != (o.broker == ""):
		return o, errors.New("-cloud and -broker go together (an external topology); leave both out for an embedded cloud")
	}
	for _, u := range o.bases() {
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			return o, fmt.Errorf("-cloud %q: not an http(s) URL", u)
		}
	}
	if o.broker != "" && !strings.Contains(o.broker, "://") {
		return o, fmt.Errorf("-broker %q: not a URL (tcp://host:port, mqtts://host:port)", o.broker)
	}
	return o, nil
}

// bases are the -cloud nodes' base URLs, without a trailing slash.
func (o options) bases() []string {
	if o.cloud == "" {
		return nil
	}
	var out []string
	for _, u := range strings.Split(o.cloud, ",") {
		if u = strings.TrimRight(strings.TrimSpace(u), "/"); u != "" {
			out = append(out, u)
		}
	}
	return out
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	o, err := parse(args, stderr)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "qrstand-load-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	progress := newProgress(stderr)
	defer progress("")

	// The deployment: a child qrstand-cloud -dev, or the one named.
	var cl *loadkit.Cloud
	var baseRSS int64
	var baseCPU time.Duration
	dep := loadkit.Deployment{Bases: o.bases(), Broker: o.broker, User: getenv("QRSTAND_LOAD_USER"), Password: getenv("QRSTAND_LOAD_PASSWORD")}
	if o.cloud == "" {
		progress("starting qrstand-cloud -dev…")
		bin, err := loadkit.CloudBinary(ctx, tmp)
		if err != nil {
			return err
		}
		if cl, err = loadkit.StartDev(ctx, bin, tmp); err != nil {
			return err
		}
		defer cl.Stop()
		// The idle cloud, before any stand: the base the per-stand RSS is
		// counted from.
		if baseRSS, baseCPU, err = cl.Usage(); err != nil {
			return err
		}
		dep.Bases, dep.Broker = []string{cl.Base}, cl.Broker
		if dep.User, dep.Password, err = cl.DevLogin(); err != nil {
			return err
		}
	} else if dep.User == "" || dep.Password == "" {
		return errors.New("an external cloud needs a provider console login in $QRSTAND_LOAD_USER and $QRSTAND_LOAD_PASSWORD")
	}

	log := slog.New(slog.DiscardHandler)
	f, err := loadkit.NewFleet(ctx, dep, tmp+"/stands", o.stands, o.stores, "", log, progress)
	if err != nil {
		return err
	}
	defer f.Stop()

	// The raw echo, beside the payments for the whole run.
	echoCtx, echoStop := context.WithCancel(ctx)
	var rtts []time.Duration
	echoDone := make(chan error, 1)
	go func() {
		var err error
		rtts, err = loadkit.Echo(echoCtx, dep.Broker, f.Echo, 50*time.Millisecond)
		echoDone <- err
	}()

	// Payments at rate R, round robin over the stores.
	total := max(1, int(o.rate*o.duration.Seconds()))
	payer := f.NewPayer()
	start := time.Now()
	payer.Run(ctx, o.rate, total, progress)
	payTime := time.Since(start)
	echoStop()
	if err := <-echoDone; err != nil {
		return fmt.Errorf("raw echo: %w", err)
	}

	// Wait for the facts: every order done at every stand of its store,
	// or nothing more for 30 s, or 10 × the run (at least a minute).
	if missing := f.Drain(ctx, payer.Pays, 30*time.Second, time.Now().Add(max(time.Minute, 10*o.duration)), progress); missing > 0 {
		progress("")
		fmt.Fprintf(stderr, "qrstand-load: stopped waiting with %d deliveries not done\n", missing)
	}
	connected := 0
	var died []error
	for _, m := range f.Members {
		if m.Stand.Connected() {
			connected++
		}
		if err := m.Stand.Died(); err != nil {
			died = append(died, err)
		}
	}
	var rep Report
	if cl != nil {
		rss, cpu, err := cl.Usage()
		if err != nil {
			return err
		}
		rep.CloudRSSMB = loadkit.Round(float64(rss) / 1024)
		rep.CloudRSSPerStandKB = loadkit.Round(float64(rss-baseRSS) / float64(o.stands))
		rep.CloudCPUs = (cpu - baseCPU).Seconds()
	}
	views, err := f.Views()
	if err != nil {
		return err
	}
	t, err := loadkit.Check(payer.Pays, f.ByStore(views))
	if err != nil {
		return err
	}
	rep.fill(t)
	rep.StandsConnected = connected
	rep.RawRTTP50ms, rep.RawRTTP99ms = loadkit.Ms(loadkit.Pct(rtts, 50)), loadkit.Ms(loadkit.Pct(rtts, 99))
	if rep.RawRTTP99ms > 0 {
		rep.RatioP99 = loadkit.Round(rep.P99ms / rep.RawRTTP99ms)
	}
	progress("")
	for _, f := range payer.Failed {
		fmt.Fprintln(stderr, "payment failed:", f.Err)
	}
	for _, d := range died {
		fmt.Fprintln(stderr, "during the run:", d)
	}
	if o.json {
		return json.NewEncoder(stdout).Encode(rep)
	}
	printTable(stdout, o, rep, len(payer.Failed), payTime, cl == nil)
	return nil
}

// fill copies the per-order verdict into the report.
func (r *Report) fill(t loadkit.Tally) {
	r.Paid, r.Announced, r.Printed, r.Lost, r.Duplicated, r.CaughtUp = t.Paid, t.Announced, t.Printed, t.Lost, t.Duplicated, t.CaughtUp
	lat := t.Latencies
	r.P50ms, r.P90ms, r.P99ms = loadkit.Ms(loadkit.Pct(lat, 50)), loadkit.Ms(loadkit.Pct(lat, 90)), loadkit.Ms(loadkit.Pct(lat, 99))
	r.MaxMs = loadkit.Ms(loadkit.Pct(lat, 100))
}

// newProgress returns the progress line writer: on a terminal one line
// rewritten in place, elsewhere (a log, a CI job) a line at most every
// two seconds. An empty message ends the line.
func newProgress(w io.Writer) func(format string, a ...any) {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	var mu sync.Mutex
	var last time.Time
	open := false
	return func(format string, a ...any) {
		mu.Lock()
		defer mu.Unlock()
		if format == "" {
			if open {
				fmt.Fprintln(w)
				open = false
			}
			return
		}
		if tty {
			fmt.Fprintf(w, "\r\033[K"+format, a...)
			open = true
			return
		}
		if time.Since(last) < 2*time.Second {
			return
		}
		last = time.Now()
		fmt.Fprintf(w, "qrstand-load: "+format+"\n", a...)
	}
}

func printTable(w io.Writer, o options, r Report, failed int, payTime time.Duration, external bool) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "stands\t%d (%d connected), %d stores\n", o.stands, r.StandsConnected, o.stores)
	fmt.Fprintf(tw, "payments\t%d paid in %.1f s, asked %.1f/s for %s (%d failed to pay)\n", r.Paid, payTime.Seconds(), o.rate, o.duration, failed)
	fmt.Fprintf(tw, "announced once / printed once\t%d / %d\n", r.Announced, r.Printed)
	fmt.Fprintf(tw, "lost / duplicated\t%d / %d\n", r.Lost, r.Duplicated)
	if r.CaughtUp > 0 {
		fmt.Fprintf(tw, "late (in a catch-up summary)\t%d deliveries\n", r.CaughtUp)
	}
	fmt.Fprintf(tw, "confirm → stand ack p50/p90/p99/max\t%.2f / %.2f / %.2f / %.2f ms\n", r.P50ms, r.P90ms, r.P99ms, r.MaxMs)
	fmt.Fprintf(tw, "raw QoS 1 RTT p50/p99\t%.2f / %.2f ms (p99 ratio %.2f)\n", r.RawRTTP50ms, r.RawRTTP99ms, r.RatioP99)
	if external {
		fmt.Fprintf(tw, "cloud RSS, CPU\tnot measured (an external cloud: 0 in -json)\n")
	} else {
		fmt.Fprintf(tw, "cloud RSS\t%.1f MB (%.1f KB per stand)\n", r.CloudRSSMB, r.CloudRSSPerStandKB)
		fmt.Fprintf(tw, "cloud CPU\t%.2f s\n", r.CloudCPUs)
	}
	tw.Flush()
}
