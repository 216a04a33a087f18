// Command qrstand-load runs many virtual stands (the real stand code, in
// sim mode, each with its own synchronous=FULL journal and MQTT
// connection) against a qrstand-cloud -dev it starts as a child process,
// pays through the real pay flow at a fixed rate, and checks per order
// that every payment was announced and printed exactly once on every
// stand of its store. See firmware/README.md.
//
//	qrstand-load -stands N -rate R -duration D [-stores S] [-cloud URL -broker URL] [-json]
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/qrstand/qrstand/firmware/internal/speech"
	"github.com/qrstand/qrstand/mqtt"
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
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
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
	fs.StringVar(&o.cloud, "cloud", "", "an external cloud's base URL (not supported yet: the embedded topology only)")
	fs.StringVar(&o.broker, "broker", "", "an external broker URL, with -cloud (not supported yet)")
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
	case o.cloud != "" || o.broker != "":
		return o, errors.New("-cloud and -broker (an external topology) are not supported yet; run without them for the embedded cloud")
	}
	return o, nil
}

// payment is one order paid by the run.
type payment struct {
	order string
	store int
	fen   int64
	at    time.Time // when the simulator's pay sheet was confirmed (it then sends the notify)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
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

	progress("starting qrstand-cloud -dev…")
	cl, err := startCloud(ctx, tmp)
	if err != nil {
		return err
	}
	defer cl.stop()
	// The idle cloud, before any stand: the base the per-stand RSS is
	// counted from.
	baseRSS, baseCPU, err := cl.usage()
	if err != nil {
		return err
	}

	progress("registering %d stands…", o.stands+1)
	provs, err := cl.addStands(ctx, o.stands+1, tmp+"/provision")
	if err != nil {
		return err
	}
	echoStand := provs[o.stands] // never paired: the raw echo's identity
	provs = provs[:o.stands]
	admin, storeIDs, err := cl.setupMerchant(o.stores)
	if err != nil {
		return err
	}

	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	stands := make([]*vstand, 0, o.stands)
	defer func() {
		for _, v := range stands {
			v.stop()
		}
	}()
	for i, p := range provs {
		v, err := startStand(p.DeviceID, p.Secret, cl.broker, fmt.Sprintf("%s/stands/%s", tmp, p.DeviceID), log)
		if err != nil {
			return err
		}
		stands = append(stands, v)
		if (i+1)%50 == 0 {
			progress("started %d/%d stands", i+1, o.stands)
		}
	}
	// Pair: each stand asks for a code (pair.request), the admin enters
	// it on the pairing page for store i mod S.
	storeOf := make([]int, len(stands))
	byStore := make([][]*vstand, o.stores)
	stores := make([]store, o.stores)
	paired := 0
	deadline := time.Now().Add(60*time.Second + time.Duration(o.stands)*100*time.Millisecond)
	for i, v := range stands {
		var pc mqtt.PairCode
		for !v.setting("pair_code", &pc) {
			if err := v.died(); err != nil {
				return err
			}
			if time.Now().After(deadline) || ctx.Err() != nil {
				return fmt.Errorf("stand %s got no pairing code (%d paired)", v.id, paired)
			}
			time.Sleep(20 * time.Millisecond)
		}
		si := i % o.stores
		if err := admin.pair(v.id, pc.Code, storeIDs[si]); err != nil {
			return fmt.Errorf("pair %s: %w", v.id, err)
		}
		storeOf[i] = si
		byStore[si] = append(byStore[si], v)
		paired++
		progress("paired %d/%d stands", paired, o.stands)
	}
	for i, v := range stands {
		var sc mqtt.StoreConfig
		for !(v.setting("store_config", &sc) && sc.Bound) {
			if time.Now().After(deadline) || ctx.Err() != nil {
				return fmt.Errorf("stand %s got no store.config", v.id)
			}
			time.Sleep(20 * time.Millisecond)
		}
		si := storeOf[i]
		cut := strings.LastIndex(sc.QRURL, "/s/")
		if cut < 0 {
			return fmt.Errorf("stand %s: store QR URL %q is not a /s/ pay page", v.id, sc.QRURL)
		}
		tok := sc.QRURL[cut+3:]
		stores[si] = store{id: storeIDs[si], token: tok}
	}

	// The raw echo, beside the payments for the whole run.
	echoCtx, echoStop := context.WithCancel(ctx)
	var rtts []time.Duration
	echoDone := make(chan error, 1)
	go func() {
		var err error
		rtts, err = echo(echoCtx, cl.broker, echoStand, 50*time.Millisecond)
		echoDone <- err
	}()

	// Payments at rate R, round robin over the stores; one customer
	// session per store; amounts unique per store so that each
	// announcement names its order.
	customers := make([]*browser, o.stores)
	for i := range customers {
		customers[i] = newBrowser(cl.base)
		if err := customers[i].wechatLogin(fmt.Sprintf("顾客%d", i+1)); err != nil {
			echoStop()
			return err
		}
	}
	total := int(o.rate * o.duration.Seconds())
	if total < 1 {
		total = 1
	}
	var (
		mu       sync.Mutex
		pays     []payment
		failures []error
		wg       sync.WaitGroup
		sent     atomic.Int64
	)
	sem := make(chan struct{}, 64) // bounds in-flight pay flows
	every := time.Duration(float64(time.Second) / o.rate)
	start := time.Now()
	tick := time.NewTicker(every)
	perStore := make([]int64, o.stores)
	for k := 0; k < total && ctx.Err() == nil; k++ {
		if k > 0 {
			select {
			case <-tick.C:
			case <-ctx.Done():
			}
			if ctx.Err() != nil {
				break
			}
		}
		si := k % o.stores
		perStore[si]++
		fen := 100 + perStore[si]
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			order, at, err := customers[si].pay(stores[si], fmt.Sprintf("%d.%02d", fen/100, fen%100))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failures = append(failures, err)
				return
			}
			pays = append(pays, payment{order: order, store: si, fen: fen, at: at})
			sent.Add(1)
		}()
		if k%max(1, int(o.rate)) == 0 {
			progress("%5.1fs paid %d/%d, %d failed", time.Since(start).Seconds(), sent.Load(), total, len(failuresSnapshot(&mu, &failures)))
		}
	}
	tick.Stop()
	wg.Wait()
	payTime := time.Since(start)
	echoStop()
	if err := <-echoDone; err != nil {
		return fmt.Errorf("raw echo: %w", err)
	}

	// Wait for the facts: every order on paper at every stand of its
	// store. The wait ends when that is so, when nothing more came out for
	// 30 s (what is missing then counts as lost), or after 10 × the run
	// (at least a minute), whichever is first.
	limit := time.Now().Add(max(time.Minute, 10*o.duration))
	lastMissing, lastMove := -1, time.Now()
	for {
		// Counts only decide when to stop waiting; the verdict is check's,
		// per order.
		missing, acked := 0, 0
		for _, p := range pays {
			missing += len(byStore[p.store])
		}
		for _, v := range stands {
			missing -= v.pr.count()
			v.mu.Lock()
			acked += len(v.acked)
			v.mu.Unlock()
		}
		if missing != lastMissing {
			lastMissing, lastMove = missing, time.Now()
		}
		progress("draining: %d deliveries not printed yet (%d acked so far)", missing, acked)
		if missing <= 0 || ctx.Err() != nil {
			break
		}
		if time.Since(lastMove) > 30*time.Second || time.Now().After(limit) {
			progress("")
			fmt.Fprintf(stderr, "qrstand-load: stopped waiting with %d deliveries not printed\n", missing)
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	connected := 0
	var died []error
	for _, v := range stands {
		if v.cl.Connected() {
			connected++
		}
		if err := v.died(); err != nil {
			died = append(died, err)
		}
	}
	rss, cpu, err := cl.usage()
	if err != nil {
		return err
	}
	for _, v := range stands {
		v.stop()
	}
	stands2 := stands
	stands = nil // stopped
	rep, err := check(pays, byStore, stands2)
	if err != nil {
		return err
	}
	rep.StandsConnected = connected
	rep.CloudRSSMB = round(float64(rss) / 1024)
	rep.CloudRSSPerStandKB = round(float64(rss-baseRSS) / float64(o.stands))
	rep.CloudCPUs = (cpu - baseCPU).Seconds()
	rep.RawRTTP50ms, rep.RawRTTP99ms = ms(pct(rtts, 50)), ms(pct(rtts, 99))
	if rep.RawRTTP99ms > 0 {
		rep.RatioP99 = round(rep.P99ms / rep.RawRTTP99ms)
	}
	progress("")
	for _, f := range failures {
		fmt.Fprintln(stderr, "payment failed:", f)
	}
	for _, d := range died {
		fmt.Fprintln(stderr, "during the run:", d)
	}
	if o.json {
		enc := json.NewEncoder(stdout)
		return enc.Encode(rep)
	}
	printTable(stdout, o, rep, len(failures), payTime)
	return nil
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

func failuresSnapshot(mu *sync.Mutex, f *[]error) []error {
	mu.Lock()
	defer mu.Unlock()
	return *f
}

// check compares, per order and per stand of its store, what the stand's
// journal, announcements and receipts hold. An order counts as announced
// (printed) when every stand of its store said (printed) it exactly once;
// it is lost when any stand is missing it in its journal, its
// announcements or its receipts, and duplicated when any stand has it
// more than once in any of them.
func check(pays []payment, byStore [][]*vstand, stands []*vstand) (Report, error) {
	views := map[*vstand]*standView{}
	for _, v := range stands {
		rows, err := v.payments()
		if err != nil {
			return Report{}, err
		}
		v.mu.Lock()
		acked := maps.Clone(v.acked)
		v.mu.Unlock()
		views[v] = newStandView(rows, v.an.all(), v.pr.all(), acked)
	}
	return tally(pays, byStore, views)
}

// standView is what one stand holds at the end of a run.
type standView struct {
	journal map[string][]journalRow // by order number
	said    map[string]int          // announcement text → times said
	printed map[string]int          // order number → receipts naming it
	acked   map[string]time.Time    // event id → when it was about to be acked
}

func newStandView(rows []journalRow, said, receipts []string, acked map[string]time.Time) *standView {
	sv := &standView{journal: map[string][]journalRow{}, said: map[string]int{}, printed: map[string]int{}, acked: acked}
	for _, r := range rows {
		sv.journal[r.orderNo] = append(sv.journal[r.orderNo], r)
	}
	for _, t := range said {
		sv.said[t]++
	}
	for _, t := range receipts {
		for no := range sv.journal {
			if strings.Contains(t, no) {
				sv.printed[no]++
			}
		}
	}
	return sv
}

// tally is check's count over the stands' views.
func tally(pays []payment, byStore [][]*vstand, views map[*vstand]*standView) (Report, error) {
	var rep Report
	var lat []time.Duration
	for _, p := range pays {
		rep.Paid++
		u, err := speech.Payment(speech.ChannelWeChat, p.fen, speech.TwoEr)
		if err != nil {
			return Report{}, err
		}
		said, printed, lost, dup := true, true, false, false
		for _, v := range byStore[p.store] {
			sv := views[v]
			js := sv.journal[p.order]
			switch {
			case len(js) == 0:
				lost = true
			case len(js) > 1:
				dup = true
			}
			late := false
			for _, r := range js {
				if r.state != "done" {
					lost = true
				}
				if r.catchUp {
					late = true
					rep.CaughtUp++
				}
				if at, ok := sv.acked[r.id]; ok {
					lat = append(lat, at.Sub(p.at))
				}
			}
			switch n := sv.said[u.Text]; {
			case n == 0 && late:
			case n == 0:
				said, lost = false, true
			case n > 1:
				said, dup = false, true
			}
			switch n := sv.printed[p.order]; {
			case n == 0:
				printed, lost = false, true
			case n > 1:
				printed, dup = false, true
			}
		}
		if said {
			rep.Announced++
		}
		if printed {
			rep.Printed++
		}
		if lost {
			rep.Lost++
		}
		if dup {
			rep.Duplicated++
		}
	}
	rep.P50ms, rep.P90ms, rep.P99ms = ms(pct(lat, 50)), ms(pct(lat, 90)), ms(pct(lat, 99))
	rep.MaxMs = ms(pct(lat, 100))
	return rep, nil
}

// pct is the p-th percentile (nearest rank) of ds; 0 when empty.
func pct(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(p/100*float64(len(s))+0.999999) - 1
	i = max(0, min(i, len(s)-1))
	return s[i]
}

func ms(d time.Duration) float64 { return round(float64(d) / float64(time.Millisecond)) }
func round(f float64) float64    { return float64(int64(f*100+0.5)) / 100 }

// echo measures the broker's plain QoS 1 round trip: PUBLISH → PUBACK on
// the echo stand's own up topic, once every interval until ctx ends. The
// ACL lets a stand read only its down and config topics, which only the
// cloud may write, so no topic lets a stand hear itself; the PUBACK is the
// broker's answer. The payload is an empty object, which the cloud drops.
func echo(ctx context.Context, broker string, p provisionRec, every time.Duration) ([]time.Duration, error) {
	opts := paho.NewClientOptions().AddBroker(broker).SetClientID(p.DeviceID).SetUsername(p.DeviceID).SetPassword(p.Secret).
		SetAutoReconnect(false).SetConnectTimeout(10 * time.Second).SetCleanSession(true)
	c := paho.NewClient(opts)
	if t := c.Connect(); !t.WaitTimeout(10*time.Second) || t.Error() != nil {
		return nil, fmt.Errorf("connect: %v", t.Error())
	}
	defer c.Disconnect(100)
	var out []time.Duration
	for n := 0; n < 1_000_000; n++ {
		select {
		case <-ctx.Done():
			return out, nil
		case <-time.After(every):
		}
		t0 := time.Now()
		t := c.Publish(mqtt.UpTopic(p.DeviceID), 1, false, []byte("{}"))
		if !t.WaitTimeout(10*time.Second) || t.Error() != nil {
			return out, fmt.Errorf("publish: %v", t.Error())
		}
		out = append(out, time.Since(t0))
	}
	return out, nil
}

func printTable(w io.Writer, o options, r Report, failed int, payTime time.Duration) {
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
	fmt.Fprintf(tw, "cloud RSS\t%.1f MB (%.1f KB per stand)\n", r.CloudRSSMB, r.CloudRSSPerStandKB)
	fmt.Fprintf(tw, "cloud CPU\t%.2f s\n", r.CloudCPUs)
	tw.Flush()
}
