package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/qrstand/qrstand/cloud/internal/brokerctl"
	"github.com/qrstand/qrstand/cloud/internal/database"
	"github.com/qrstand/qrstand/cloud/internal/extauth"
	"github.com/qrstand/qrstand/cloud/internal/firmware"
	"github.com/qrstand/qrstand/cloud/internal/nodelink"
	"github.com/qrstand/qrstand/cloud/internal/oauthsim"
	"github.com/qrstand/qrstand/cloud/internal/secretbox"
	"github.com/qrstand/qrstand/cloud/internal/standlink"
	"github.com/qrstand/qrstand/cloud/internal/storage"
	"github.com/qrstand/qrstand/cloud/internal/ui"
	"github.com/qrstand/qrstand/cloud/internal/urls"
	"github.com/qrstand/qrstand/cloud/internal/wxauth"
	"github.com/qrstand/qrstand/mqtt"
	"github.com/qrstand/qrstand/mqtt/broker"
)

// SimPath is where the sandbox OAuth simulator is mounted.
const SimPath = "/_sim/wx"

// ServiceUser is the cloud's own MQTT identity (contains "_", which
// device ids cannot).
const ServiceUser = "qrstand_cloud"

// Server is one cloud node.
type Server struct {
	cfg     Config
	log     *slog.Logger
	db      *sql.DB
	st      *storage.Storage
	oauth   *wxauth.OAuth
	sim     *oauthsim.Sim
	pages   *ui.Handler
	reg     *prometheus.Registry
	handler http.Handler
	closeMu sync.Once

	serviceSecret string          // the cloud's MQTT password (embedded: fresh per process)
	mqtt          *nodelink.Link  // the node's one MQTT client; nil without a broker
	link          *standlink.Link // nil without a broker
	pay           payments
	metricsAddr   atomic.Value // string: where /metrics listens, once it does
	kicker        brokerKicker // ends re-keyed or revoked stands' sessions on the embedded broker
	creds         brokerctl.StandCredentials
	mosquitto     *brokerctl.Mosquitto // BrokerMosquitto only
	extauth       *extauth.Handler     // BrokerEMQX only
	fw            *firmware.Service    // nil without a DataDir
	fwKick        chan struct{}
}

// upGroup is the shared-subscription group of the nodes sharing an
// external broker: every uplink goes to one of them.
const upGroup = "qrstand"

// helloGrace is how long the single node of an embedded broker waits for
// the hello of a stand that came online before answering it as if it had
// said hello (outbox.Config.HelloGrace).
const helloGrace = 5 * time.Second

// New opens storage, migrates, seeds dev data and builds the handler.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*Server, error) {
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, log: log, fwKick: make(chan struct{}, 1)}
	if err := s.openStorage(ctx); err != nil {
		return nil, err
	}
	if err := s.setupFirmware(); err != nil {
		s.Close()
		return nil, err
	}
	appID, appSecret := cfg.WeChatAppID, cfg.WeChatAppSecret
	if cfg.Sandbox {
		if appID == "" {
			h := sha256.Sum256([]byte(cfg.BaseURL))
			appID = "wxsandbox" + hex.EncodeToString(h[:4])
		}
		if appSecret == "" {
			appSecret = "sandbox-secret"
		}
		s.sim = oauthsim.New(appID, appSecret, log.With("component", "oauthsim"))
		o, err := wxauth.NewSandbox(appID, appSecret, cfg.BaseURL+SimPath)
		if err != nil {
			s.db.Close()
			return nil, err
		}
		s.oauth = o
	} else {
		s.oauth = wxauth.New(appID, appSecret)
	}
	// Parts in dependency order: links, the broker, the stand link,
	// payments, then the pages that use them all.
	links := urls.New(cfg.BaseURL)
	opts := ui.Options{Log: log.With("component", "ui")}
	if err := s.setupBroker(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if cfg.BrokerKind != BrokerNone {
		if err := s.setupLink(); err != nil {
			s.Close()
			return nil, err
		}
		link, err := standlink.New(standlink.Config{
			Link:     s.mqtt,
			PairURL:  links.Pair,
			StoreURL: links.Store,
			Alerts: standlink.AlertConfig{
				TemplateID: cfg.Alerts.TemplateID, OfflineAfter: cfg.Alerts.OfflineAfter, Quiet: cfg.Alerts.Quiet,
				BatteryLow: cfg.Alerts.BatteryLow, BusinessStart: cfg.Alerts.BusinessStart, BusinessEnd: cfg.Alerts.BusinessEnd,
				CheckEvery: cfg.Alerts.CheckEvery,
				StandsURL:  links.StoreStands,
			},
			AfterAlert: func() {
				if d := s.pay.dispatcher; d != nil {
					d.Kick()
				}
			},
			Log:           log.With("component", "standlink"),
			OnUpdateState: s.onUpdateState,
		}, s.st)
		if err != nil {
			s.Close()
			return nil, err
		}
		s.link = link
		opts.Stands, opts.CredentialHooks = link, []ui.CredentialHook{&s.kicker, credsHook{s.creds}}
	}
	if err := s.setupPayments(appID, appSecret); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.setupDispatcher(); err != nil {
		s.Close()
		return nil, err
	}
	opts.Pay = s.payOptions()
	pages, err := ui.New(ui.Config{BaseURL: cfg.BaseURL, CodeTTL: cfg.CodeTTL, Sandbox: cfg.Sandbox, StandBroker: cfg.StandBrokerURL}, s.st, s.oauth, opts)
	if err != nil {
		s.Close()
		return nil, err
	}
	s.pages = pages
	if err := s.seed(ctx); err != nil {
		s.Close()
		return nil, err
	}
	s.handler = s.routes()
	return s, nil
}

func (s *Server) openStorage(ctx context.Context) error {
	var d database.Dialect
	var dsn string
	switch s.cfg.Database {
	case "postgres":
		d, dsn = database.Postgres, s.cfg.PostgresDSN
	default:
		if err := privateDir(s.cfg.DataDir); err != nil {
			return err
		}
		d, dsn = database.SQLite, filepath.Join(s.cfg.DataDir, "cloud.db")
	}
	key, err := s.secretKey()
	if err != nil {
		return err
	}
	box, err := secretbox.New(key)
	if err != nil {
		return err
	}
	db, err := database.Open(ctx, d, dsn)
	if err != nil {
		return err
	}
	if err := database.Migrate(ctx, db); err != nil {
		db.Close()
		return err
	}
	s.db = db
	s.st = storage.New(db, d, box).ForNode(s.cfg.NodeID)
	return nil
}

// secretKey is the configured key; in dev mode without one, a key kept in
// the data directory.
func (s *Server) secretKey() ([]byte, error) {
	if s.cfg.SecretKey != "" {
		return secretbox.ParseKey(s.cfg.SecretKey)
	}
	path := filepath.Join(s.cfg.DataDir, "dev-secret.key")
	if b, err := os.ReadFile(path); err == nil {
		return secretbox.ParseKey(string(b))
	}
	key := make([]byte, secretbox.KeySize)
	rand.Read(key) // never fails (Go 1.24+)
	if err := os.MkdirAll(s.cfg.DataDir, 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(key)), 0o600); err != nil {
		return nil, fmt.Errorf("server: write dev key: %w", err)
	}
	return key, nil
}

// Storage exposes the storage (tests, tools).
func (s *Server) Storage() *storage.Storage { return s.st }

// Sim is the sandbox OAuth simulator (nil outside sandbox mode).
func (s *Server) Sim() *oauthsim.Sim { return s.sim }

// Handler is the whole HTTP surface.
func (s *Server) Handler() http.Handler { return s.handler }

// Close releases storage and the sandbox route. Idempotent.
func (s *Server) Close() error {
	var err error
	s.closeMu.Do(func() {
		s.closePayments()
		if s.mosquitto != nil {
			s.mosquitto.Close()
		}
		if s.oauth != nil {
			s.oauth.Close()
		}
		if s.db != nil {
			err = s.db.Close()
		}
	})
	return err
}

// Run listens on HTTPAddr and serves until ctx is done.
func (s *Server) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("server: listen: %w", err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves HTTP on ln (and runs the embedded broker if configured)
// until ctx is done or a part fails, then shuts down within
// ShutdownTimeout and closes.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	defer s.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, ctx := errgroup.WithContext(ctx)
	brokerURL := ""
	switch s.cfg.BrokerKind {
	case BrokerMosquitto, BrokerEMQX:
		brokerURL = s.cfg.BrokerURL
	case BrokerEmbedded:
		b, err := s.newBroker()
		if err != nil {
			ln.Close()
			return err
		}
		s.kicker.set(b)
		goUntil(ctx, g, func() error {
			if err := b.Run(ctx); err != nil {
				return fmt.Errorf("server: broker: %w", err)
			}
			return nil
		})
		select {
		case <-b.Ready():
		case <-ctx.Done(): // stopped, or the broker failed to start
			ln.Close()
			return g.Wait()
		}
		brokerURL = "tcp://" + dialAddr(b.Addr().String())
		s.runFirmware(ctx, g)
	}
	if s.mqtt != nil {
		goUntil(ctx, g, func() error { return s.mqtt.Run(ctx, brokerURL) })
		goUntil(ctx, g, func() error { return s.link.Run(ctx) })
	}
	if err := s.runPayments(ctx, g); err != nil {
		ln.Close()
		cancel()
		_ = g.Wait()
		return err
	}
	g.Go(func() error { s.sweep(ctx); return nil })
	srv := &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second, ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	goUntil(ctx, g, func() error {
		s.log.Info("http listening", "addr", ln.Addr().String(), "base_url", s.cfg.BaseURL)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("server: http: %w", err)
		}
		return nil
	})
	msrv, err := s.serveMetrics(ctx, g)
	if err != nil {
		cancel()
		srv.Close()
		_ = g.Wait()
		return err
	}
	<-ctx.Done()
	sctx, scancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer scancel()
	if err := srv.Shutdown(sctx); err != nil {
		s.log.Warn("http shutdown timed out; closing", "err", err)
		srv.Close()
	}
	if msrv != nil {
		msrv.Close() // scrapes are short; nothing to drain
	}
	runErr := g.Wait()
	s.log.Info("stopped")
	return runErr
}

// goUntil runs f in g. An error from f stops the server only while ctx
// lasts: after that it is part of the shutdown, not its cause.
func goUntil(ctx context.Context, g *errgroup.Group, f func() error) {
	g.Go(func() error {
		if err := f(); err != nil && ctx.Err() == nil {
			return err
		}
		return nil
	})
}

// serveMetrics serves /metrics on MetricsAddr (none when empty), apart
// from the internet-facing pages.
func (s *Server) serveMetrics(ctx context.Context, g *errgroup.Group) (*http.Server, error) {
	if s.cfg.MetricsAddr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", s.cfg.MetricsAddr)
	if err != nil {
		return nil, fmt.Errorf("server: metrics listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.MetricsHandler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	s.log.Info("metrics listening", "addr", ln.Addr().String())
	s.metricsAddr.Store(ln.Addr().String())
	goUntil(ctx, g, func() error {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("server: metrics: %w", err)
		}
		return nil
	})
	return srv, nil
}

// MetricsListenAddr is the address /metrics listens on ("" until it does).
func (s *Server) MetricsListenAddr() string {
	a, _ := s.metricsAddr.Load().(string)
	return a
}

func (s *Server) newBroker() (*broker.Broker, error) {
	dir := ""
	if s.cfg.DataDir != "" {
		dir = filepath.Join(s.cfg.DataDir, "broker")
		if err := privateDir(dir); err != nil {
			return nil, err
		}
	}
	return broker.New(broker.Config{
		Addr:               s.cfg.MQTTAddr,
		PlainPublic:        s.cfg.MQTTPlainPublic,
		TLSAddr:            s.cfg.MQTTTLSAddr,
		TLSCertFile:        s.cfg.MQTTTLSCert,
		TLSKeyFile:         s.cfg.MQTTTLSKey,
		MaxPacketSize:      s.cfg.MQTTMaxPacketSize,
		MaxRetainedSize:    s.cfg.MQTTMaxRetainedSize,
		ConnectTimeout:     s.cfg.MQTTConnectTimeout,
		MaxPendingConnects: s.cfg.MQTTMaxPendingConnects,
		DataDir:            dir,
		Stands: broker.StandLookupFunc(func(ctx context.Context, id string) (string, error) {
			h, err := s.st.StandSecretHash(ctx, id)
			if errors.Is(err, storage.ErrNotFound) {
				return "", broker.ErrUnknownStand
			}
			return h, err
		}),
		ServiceUser:       ServiceUser,
		ServiceSecretHash: mqtt.HashSecret(s.serviceSecret),
		Logger:            s.log,
	})
}

// dialAddr turns a listen address into one to dial (0.0.0.0 and :: mean
// this machine).
func dialAddr(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// sweep deletes expired sessions and login limiter rows and purges
// delivered outbox rows past their retention, hourly until ctx is done.
// Every node sweeps; the deletes are idempotent and batched, so nodes
// sweeping at once only share the work.
func (s *Server) sweep(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := s.st.DeleteExpiredSessions(ctx, time.Now())
		if err != nil && ctx.Err() == nil {
			s.log.Error("session sweep", "err", err)
		} else if n > 0 {
			s.log.Info("session sweep", "deleted", n)
		}
		if s.cfg.OutboxRetention > 0 {
			n, err := s.st.PurgeOutbox(ctx, time.Now().Add(-s.cfg.OutboxRetention), 1000)
			if err != nil && ctx.Err() == nil {
				s.log.Error("outbox purge", "err", err)
			} else if n > 0 {
				s.log.Info("outbox purge", "deleted", n)
			}
		}
		if _, err := s.st.DeleteExpiredLoginLimits(ctx, storage.DefaultLoginPolicy, time.Now()); err != nil && ctx.Err() == nil {
			s.log.Error("login limiter sweep", "err", err)
		}
	}
}
