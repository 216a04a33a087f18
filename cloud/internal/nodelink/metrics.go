package nodelink

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	received      *prometheus.CounterVec
	dropped       *prometheus.CounterVec
	bad           prometheus.Counter
	untracked     prometheus.Counter
	publishFailed prometheus.Counter
}

func newMetrics() metrics {
	return metrics{
		received: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "qrstand_uplinks_total",
			Help: "Stand uplinks (and presence) this node received and decoded, by kind."}, []string{"kind"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "qrstand_uplink_dropped_total",
			Help: "Uplinks a full queue refused, by queue and kind (each is made up for: see package nodelink)."}, []string{"queue", "kind"}),
		bad: prometheus.NewCounter(prometheus.CounterOpts{Name: "qrstand_uplink_bad_total",
			Help: "Uplinks that did not decode, or arrived on the wrong topic."}),
		untracked: prometheus.NewCounter(prometheus.CounterOpts{Name: "qrstand_publish_untracked_total",
			Help: "Publishes whose result was not waited for (too many outstanding)."}),
		publishFailed: prometheus.NewCounter(prometheus.CounterOpts{Name: "qrstand_publish_failed_total",
			Help: "Publishes paho reported failed."}),
	}
}

// Collectors are the link's metrics.
func (l *Link) Collectors() []prometheus.Collector {
	return []prometheus.Collector{l.m.received, l.m.dropped, l.m.bad, l.m.untracked, l.m.publishFailed}
}
