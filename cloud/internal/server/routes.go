package server

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func (s *Server) routes() http.Handler {
	s.reg = prometheus.NewRegistry()
	s.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reqs := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "qrstand_http_requests_total", Help: "HTTP requests by route and status."}, []string{"route", "code"})
	dur := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "qrstand_http_request_seconds", Help: "HTTP request latency by route.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2.5, 12)}, []string{"route"})
	s.reg.MustRegister(reqs, dur)

	inner := http.NewServeMux()
	inner.Handle("/", s.pages.Handler())
	if s.sim != nil {
		inner.Handle(SimPath+"/", http.StripPrefix(SimPath, s.sim.Handler()))
	}
	s.mountPayments(inner)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.health)
	if s.fw != nil {
		// Signed bundles for stands; Range requests resume a download.
		mux.Handle("GET /firmware/{sha256}", s.fw.Handler())
	}
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}))
	mux.Handle("/", instrument(inner, reqs, dur))
	return mux
}

// health answers 200 when the database does.
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.st.Ping(ctx); err != nil {
		s.log.Error("health: database", "err", err)
		http.Error(w, "database unavailable", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	w.Write([]byte("ok\n"))
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) { w.code = code; w.ResponseWriter.WriteHeader(code) }

// instrument counts requests by the matched route pattern (never the raw
// path, which holds tokens).
func instrument(next http.Handler, reqs *prometheus.CounterVec, dur *prometheus.HistogramVec) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(sw, r)
		route := routeOf(r)
		reqs.WithLabelValues(route, strconv.Itoa(sw.code)).Inc()
		dur.WithLabelValues(route).Observe(time.Since(start).Seconds())
	})
}

// routeOf is a coarse, bounded label: the first path segment.
func routeOf(r *http.Request) string {
	p := r.URL.Path
	if len(p) <= 1 {
		return "/"
	}
	for i := 1; i < len(p); i++ {
		if p[i] == '/' {
			return p[:i]
		}
	}
	if len(p) > 32 {
		return "other"
	}
	return p
}
