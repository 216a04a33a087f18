package broker

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/mochi-mqtt/server/v2/packets"
)

// The broker and mochi log through safeHandler, which keeps what clients
// send out of the log and stops one client from flooding it:
//
//   - a packet (mochi logs whole packets on several error paths) becomes a
//     short summary: type, QoS, retain, topic, packet id and payload size —
//     never the payload, user properties or credentials;
//   - a []byte becomes its length; any other string or value is cut to
//     maxLogString bytes (client ids and topics can be 64 KiB);
//   - warnings and errors that name a client (or a remote address) pass a
//     per-client token bucket; what it holds back is counted and reported
//     as "suppressed" on that client's next line.
const (
	maxLogString = 200
	// warnBurst lines at once, then one per warnEvery, per client.
	warnBurst = 10
	warnEvery = 6 * time.Second
	// maxLimiterKeys bounds the limiter's memory; beyond it, new clients
	// share one bucket.
	maxLimiterKeys = 4096
)

type safeHandler struct {
	next slog.Handler
	lim  *warnLimiter
}

func newSafeHandler(next slog.Handler, now func() time.Time) *safeHandler {
	return &safeHandler{next: next, lim: &warnLimiter{now: now, keys: map[string]*bucket{}}}
}

func (h *safeHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *safeHandler) WithAttrs(as []slog.Attr) slog.Handler {
	out := make([]slog.Attr, len(as))
	for i, a := range as {
		out[i] = sanitizeAttr(a)
	}
	return &safeHandler{next: h.next.WithAttrs(out), lim: h.lim}
}

func (h *safeHandler) WithGroup(name string) slog.Handler {
	return &safeHandler{next: h.next.WithGroup(name), lim: h.lim}
}

func (h *safeHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, truncate(r.Message), r.PC)
	var client, remote string
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "client":
			client = a.Value.String()
		case "remote":
			remote = a.Value.String()
		}
		out.AddAttrs(sanitizeAttr(a))
		return true
	})
	if r.Level >= slog.LevelWarn {
		// The remote host first: a client id is the client's own choice
		// and free to change on every attempt, its address is not.
		key := client
		if host, _, err := net.SplitHostPort(remote); err == nil {
			key = "addr " + host
		} else if remote != "" {
			key = "addr " + remote
		}
		if key != "" {
			ok, suppressed := h.lim.allow(key)
			if !ok {
				return nil
			}
			if suppressed > 0 {
				out.AddAttrs(slog.Int("suppressed", suppressed))
			}
		}
	}
	return h.next.Handle(ctx, out)
}

func truncate(s string) string {
	if len(s) <= maxLogString {
		return s
	}
	return fmt.Sprintf("%s…(%d bytes)", s[:maxLogString], len(s))
}

func sanitizeAttr(a slog.Attr) slog.Attr {
	a.Value = sanitizeValue(a.Value.Resolve())
	return a
}

func sanitizeValue(v slog.Value) slog.Value {
	switch v.Kind() {
	case slog.KindString:
		return slog.StringValue(truncate(v.String()))
	case slog.KindGroup:
		as := v.Group()
		out := make([]slog.Attr, len(as))
		for i, a := range as {
			out[i] = sanitizeAttr(a)
		}
		return slog.GroupValue(out...)
	case slog.KindAny:
	default:
		return v // numbers, bools, times, durations
	}
	switch x := v.Any().(type) {
	case packets.Packet:
		return packetSummary(&x)
	case *packets.Packet:
		if x == nil {
			return slog.StringValue("<nil>")
		}
		return packetSummary(x)
	case []byte:
		return slog.StringValue(fmt.Sprintf("(%d bytes)", len(x)))
	case error:
		return slog.StringValue(truncate(x.Error()))
	case fmt.Stringer:
		return slog.StringValue(truncate(x.String()))
	default:
		// Anything else a library logs (a struct that may hold a payload)
		// is shown by type only.
		return slog.StringValue(fmt.Sprintf("(%T)", x))
	}
}

func packetSummary(pk *packets.Packet) slog.Value {
	as := []slog.Attr{slog.String("type", packets.PacketNames[pk.FixedHeader.Type])}
	if pk.FixedHeader.Type == packets.Publish {
		as = append(as,
			slog.String("topic", truncate(pk.TopicName)),
			slog.Int("qos", int(pk.FixedHeader.Qos)),
			slog.Bool("retain", pk.FixedHeader.Retain),
			slog.Int("payload_bytes", len(pk.Payload)))
	}
	if pk.PacketID != 0 {
		as = append(as, slog.Int("id", int(pk.PacketID)))
	}
	return slog.GroupValue(as...)
}

// warnLimiter is a token bucket per key (client or remote host).
type warnLimiter struct {
	now  func() time.Time
	mu   sync.Mutex
	keys map[string]*bucket
}

type bucket struct {
	tokens     float64
	last       time.Time
	suppressed int
}

// allow reports whether a line for key may be written now, and how many of
// its lines were held back since the last one written.
func (l *warnLimiter) allow(key string) (bool, int) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.keys[key]
	if b == nil {
		if len(l.keys) >= maxLimiterKeys {
			l.prune(now)
		}
		if len(l.keys) >= maxLimiterKeys {
			key = "" // overflow: every new client shares one bucket
			b = l.keys[key]
		}
		if b == nil {
			b = &bucket{tokens: warnBurst, last: now}
			l.keys[key] = b
		}
	}
	b.tokens = min(warnBurst, b.tokens+float64(now.Sub(b.last))/float64(warnEvery))
	b.last = now
	if b.tokens < 1 {
		b.suppressed++
		return false, 0
	}
	b.tokens--
	n := b.suppressed
	b.suppressed = 0
	return true, n
}

// prune forgets buckets that have refilled completely and hold nothing
// back: they behave exactly like a new one.
func (l *warnLimiter) prune(now time.Time) {
	for k, b := range l.keys {
		if b.suppressed == 0 && b.tokens+float64(now.Sub(b.last))/float64(warnEvery) >= warnBurst {
			delete(l.keys, k)
		}
	}
}
