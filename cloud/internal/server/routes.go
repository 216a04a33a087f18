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
	reqs := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "qrstand_http_requests_total", Help: "HTTP requests by route pattern and status."}, []string{"route", "code"})
	dur := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "qrstand_http_request_seconds", Help: "HTTP request latency by route pattern.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2.5, 12)}, []string{"route"})
	s.reg.MustRegister(reqs, dur)

	inner := http.NewServeMux()
	inner.Handle("/", s.pages.Handler())
	if s.sim != nil {
		inner.Handle(SimPath+"/", http.StripPrefix(SimPath, s.sim.Handler()))
	}
	s.mountPayments(inner)
	if s.mqtt != nil {
		s.reg.MustRegister(s.mqtt.Collectors()...)
	}
	if d := s.pay.dispatcher; d != nil {
		s.reg.MustRegister(d.Collectors()...)
	}
	if s.link != nil {
		s.reg.MustRegister(s.link.Collectors()...)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.health)
	if s.fw != nil {
		// Signed bundles for stands; Range requests resume a download.
		mux.Handle("GET /firmware/{sha256}", s.fw.Handler())
	}
	if s.extauth != nil {
		// EMQX's HTTP authenticator and authorization source
		// (cloud/deploy/emqx/emqx.conf); bearer-token protected.
		mux.HandleFunc("POST /mqtt/emqx/authn", s.extauth.Authenticate)
		mux.HandleFunc("POST /mqtt/emqx/authz", s.extauth.Authorize)
	}
	// /metrics is served on its own address (Config.MetricsAddr), never
	// here: the pages face the internet.
	mux.Handle("/", instrument(inner, func(r *http.Request) string { return s.routeOf(inner, r) }, reqs, dur))
	return mux
}

// MetricsHandler serves the Prometheus registry (what MetricsAddr serves).
func (s *Server) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{})
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
func instrument(next http.Handler, route func(*http.Request) string, reqs *prometheus.CounterVec, dur *prometheus.HistogramVec) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(sw, r)
		label := route(r)
		reqs.WithLabelValues(label, strconv.Itoa(sw.code)).Inc()
		dur.WithLabelValues(label).Observe(time.Since(start).Seconds())
	})
}

// routeOf is the route pattern r matched: the pages' own pattern (e.g.
// "GET /s/{token}") under the pages' catch-all, else the pattern of the
// payment and simulator routes; a bounded set, never a path.
func (s *Server) routeOf(inner *http.ServeMux, r *http.Request) string {
	if r.Method == http.MethodConnect {
		return "unmatched"
	}
	_, p := inner.Handler(r)
	switch p {
	case "":
		return "unmatched"
	case "/":
		return s.pages.Route(r)
	}
	return p
}
