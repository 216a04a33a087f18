// Command qrstand-cloud is the QR Stand cloud service: tenancy and roles,
// console and phone pages, the embedded MQTT broker. See cloud/README.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/server"
)

var version = "dev"

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "qrstand-cloud:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	privateUmask()
	if len(args) > 0 && args[0] == "stands" {
		return runStands(args[1:])
	}
	if len(args) > 0 && args[0] == "firmware" {
		return runFirmware(args[1:], os.Stdout)
	}
	var cfg server.Config
	fs := flag.NewFlagSet("qrstand-cloud", flag.ContinueOnError)
	load := bindConfig(fs, &cfg)
	logLevel := fs.String("log-level", envOr("QRSTAND_LOG_LEVEL", "info"), "debug, info, warn, error")
	showVersion := fs.Bool("version", false, "print version")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *showVersion {
		fmt.Println(version)
		return nil
	}
	if err := load(); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("log level: %w", err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	srv, err := server.New(start, cfg, log)
	if err != nil {
		return err
	}
	log.Info("qrstand-cloud starting", "version", version)
	return srv.Run(ctx)
}

// bindConfig defines the configuration flags on fs; the returned function,
// called after fs.Parse, adds the secrets (environment or file only: flags
// show in ps) and the optional JSON file.
func bindConfig(fs *flag.FlagSet, cfg *server.Config) func() error {
	configFile := fs.String("config", os.Getenv("QRSTAND_CONFIG"), "optional JSON config file (env QRSTAND_CONFIG)")
	fs.BoolVar(&cfg.Dev, "dev", envBool("QRSTAND_DEV"), "development mode: SQLite in -data, sandbox WeChat, seeded logins")
	fs.StringVar(&cfg.DataDir, "data", os.Getenv("QRSTAND_DATA_DIR"), "data directory (SQLite, broker state)")
	fs.StringVar(&cfg.UpdateKeys, "update-keys", os.Getenv("QRSTAND_UPDATE_KEYS"), "file of the fleet's firmware update public keys (env QRSTAND_UPDATE_KEYS)")
	fs.StringVar(&cfg.HTTPAddr, "http", os.Getenv("QRSTAND_HTTP_ADDR"), "HTTP listen address (default 127.0.0.1:8080)")
	fs.StringVar(&cfg.MQTTAddr, "mqtt", os.Getenv("QRSTAND_MQTT_ADDR"), "embedded MQTT broker plain listen address, loopback only unless -mqtt-plain-public (empty: no embedded broker unless -mqtt-tls)")
	fs.BoolVar(&cfg.MQTTPlainPublic, "mqtt-plain-public", envBool("QRSTAND_MQTT_PLAIN_PUBLIC"), "allow -mqtt on a non-loopback address (stand secrets in clear)")
	fs.StringVar(&cfg.MQTTTLSAddr, "mqtt-tls", os.Getenv("QRSTAND_MQTT_TLS_ADDR"), "embedded MQTT broker TLS listen address, e.g. :8883 (stands dial mqtts://host:8883)")
	fs.StringVar(&cfg.MQTTTLSCert, "mqtt-tls-cert", os.Getenv("QRSTAND_MQTT_TLS_CERT"), "PEM certificate chain file of the MQTT TLS listener (re-read when it changes)")
	fs.StringVar(&cfg.MQTTTLSKey, "mqtt-tls-key", os.Getenv("QRSTAND_MQTT_TLS_KEY"), "PEM private key file of the MQTT TLS listener")
	fs.StringVar(&cfg.MetricsAddr, "metrics", envOr("QRSTAND_METRICS_ADDR", "127.0.0.1:9464"), "Prometheus /metrics listen address, apart from the pages (empty: off)")
	fs.StringVar(&cfg.BrokerKind, "broker-kind", os.Getenv("QRSTAND_BROKER_KIND"), "embedded, mosquitto, emqx or none (default embedded with -mqtt, else none)")
	fs.StringVar(&cfg.BrokerURL, "broker-url", os.Getenv("QRSTAND_BROKER_URL"), "external broker this node dials, e.g. tcp://127.0.0.1:1883 (mosquitto, emqx)")
	fs.StringVar(&cfg.BrokerUser, "broker-user", os.Getenv("QRSTAND_BROKER_USER"), "the cloud's MQTT user on an external broker (default qrstand_cloud)")
	fs.StringVar(&cfg.BrokerAdminUser, "broker-admin-user", os.Getenv("QRSTAND_BROKER_ADMIN_USER"), "Mosquitto dynamic-security admin user")
	fs.StringVar(&cfg.NodeID, "node", os.Getenv("QRSTAND_NODE_ID"), "this node's name, unique among nodes sharing a database (default: host name)")
	retention := os.Getenv("QRSTAND_OUTBOX_RETENTION")
	fs.Func("outbox-retention", "keep delivered outbox rows this long (default 168h; env QRSTAND_OUTBOX_RETENTION)", func(v string) error {
		retention = v
		return nil
	})
	fs.StringVar(&cfg.BaseURL, "base-url", os.Getenv("QRSTAND_BASE_URL"), "external base URL QR codes hold (default http://<http>)")
	fs.StringVar(&cfg.Database, "db", os.Getenv("QRSTAND_DATABASE"), "sqlite or postgres")
	fs.StringVar(&cfg.PostgresDSN, "pg", os.Getenv("QRSTAND_POSTGRES_DSN"), "PostgreSQL DSN")
	fs.BoolVar(&cfg.Sandbox, "sandbox", envBool("QRSTAND_SANDBOX"), "serve WeChat OAuth from the built-in simulator")
	fs.StringVar(&cfg.WeChatAppID, "wechat-appid", os.Getenv("QRSTAND_WECHAT_APP_ID"), "official account AppID")
	fs.StringVar(&cfg.WeChatTemplatePaid, "wechat-template-paid", os.Getenv("QRSTAND_WECHAT_TEMPLATE_PAID"), "official account template id of the staff payment message")
	return func() error {
		// Secrets only from the environment or the file, never flags (ps shows flags).
		cfg.WeChatAppSecret = os.Getenv("QRSTAND_WECHAT_APP_SECRET")
		cfg.SecretKey = os.Getenv("QRSTAND_SECRET_KEY")
		cfg.OperatorUser = os.Getenv("QRSTAND_OPERATOR_USER")
		cfg.OperatorPassword = os.Getenv("QRSTAND_OPERATOR_PASSWORD")
		cfg.BrokerPassword = os.Getenv("QRSTAND_BROKER_PASSWORD")
		cfg.BrokerAdminPassword = os.Getenv("QRSTAND_BROKER_ADMIN_PASSWORD")
		cfg.BrokerAuthToken = os.Getenv("QRSTAND_BROKER_AUTH_TOKEN")
		if retention != "" {
			d, err := time.ParseDuration(retention)
			if err != nil {
				return fmt.Errorf("outbox retention: %w", err)
			}
			cfg.OutboxRetention = d
		}
		if *configFile != "" {
			if err := cfg.LoadFile(*configFile); err != nil {
				return err
			}
		}
		return nil
	}
}

func envBool(k string) bool {
	v := strings.ToLower(os.Getenv(k))
	return v == "1" || v == "true" || v == "yes"
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
