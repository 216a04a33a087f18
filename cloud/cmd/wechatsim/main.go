// Command wechatsim runs the WeChat Pay / official-account simulator
// (cloud/internal/wechatsim) as a standalone server for development.
//
// On first start it creates, in -keys, the platform key pair and — unless
// -merchant-pub and -apiv3-key are given — a development merchant key pair
// and APIv3 key, and prints the values a cloud's wxpay.Config needs. The
// admin page is at /sim/ (orders, refunds, notifies, template messages,
// fault knobs; PUT /sim/faults takes JSON). It has no authentication:
// never expose it beyond the development machine.
//
//	wechatsim -addr 127.0.0.1:8090 -keys .run/wechatsim -speedup 60
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/wechatsim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, nil); err != nil {
		fmt.Fprintln(os.Stderr, "wechatsim:", err)
		os.Exit(1)
	}
}

// Summary is what the command prints at start: the values a cloud's
// wxpay.Config needs to talk to this simulator.
type Summary struct {
	SandboxBaseURL        string
	SpMchID               string
	MerchantSerial        string
	PrivateKeyFile        string // empty when -merchant-pub was given
	APIv3KeyFile          string
	PlatformPublicKeyFile string
	PlatformPublicKeyID   string
	ConfirmPage           string
	AdminPage             string
}

// run serves until ctx ends. ready, when not nil, receives the summary once
// listening.
func run(ctx context.Context, args []string, stdout io.Writer, ready chan<- Summary) error {
	flag := flag.NewFlagSet("wechatsim", flag.ContinueOnError)
	addr := flag.String("addr", "127.0.0.1:8090", "listen address")
	keys := flag.String("keys", ".run/wechatsim", "folder for keys (created when missing)")
	mchID := flag.String("mchid", "1900000100", "service provider sp_mchid")
	name := flag.String("name", "QR Stand 开发服务商", "service provider name shown on the confirm page")
	serial := flag.String("serial", "5157F09EFDC096DE15EBE81A47057A7232F1B8E1", "merchant API certificate serial")
	merchantPub := flag.String("merchant-pub", "", "merchant public key PEM (default: a dev key pair in -keys)")
	apiv3File := flag.String("apiv3-key", "", "file holding the 32-byte APIv3 key (default: created in -keys)")
	keyID := flag.String("platform-key-id", wechatsim.DefaultPlatformKeyID, "platform public key id (Wechatpay-Serial)")
	speedup := flag.Int64("speedup", 1, "divide notify retry waits and refund settlement by this")
	refundDelay := flag.Duration("refund-delay", 5*time.Second, "how long a refund stays PROCESSING (before -speedup)")
	tlsCert := flag.String("tls-cert", "", "serve HTTPS with this certificate (with -tls-key)")
	tlsKey := flag.String("tls-key", "", "TLS private key")
	if err := flag.Parse(args); err != nil {
		return err
	}

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := os.MkdirAll(*keys, 0o700); err != nil {
		return err
	}
	platform, err := wechatsim.LoadOrCreatePrivateKey(filepath.Join(*keys, "platform_key.pem"))
	if err != nil {
		return err
	}
	platformPub := filepath.Join(*keys, "platform_pub.pem")
	if err := os.WriteFile(platformPub, wechatsim.PublicKeyPEM(&platform.PublicKey), 0o644); err != nil {
		return err
	}
	merchantKeyFile := ""
	if *merchantPub == "" {
		merchantKeyFile = filepath.Join(*keys, "merchant_key.pem")
		mk, err := wechatsim.LoadOrCreatePrivateKey(merchantKeyFile)
		if err != nil {
			return err
		}
		*merchantPub = filepath.Join(*keys, "merchant_pub.pem")
		if err := os.WriteFile(*merchantPub, wechatsim.PublicKeyPEM(&mk.PublicKey), 0o644); err != nil {
			return err
		}
	}
	mpub, err := wechatsim.LoadPublicKey(*merchantPub)
	if err != nil {
		return err
	}
	if *apiv3File == "" {
		*apiv3File = filepath.Join(*keys, "apiv3.key")
		if _, err := os.Stat(*apiv3File); errors.Is(err, os.ErrNotExist) {
			b := make([]byte, 16)
			_, _ = rand.Read(b)
			if err := os.WriteFile(*apiv3File, []byte(hex.EncodeToString(b)), 0o600); err != nil {
				return err
			}
		}
	}
	apiv3, err := os.ReadFile(*apiv3File)
	if err != nil {
		return err
	}
	key := strings.TrimSpace(string(apiv3))
	if len(key) != 32 {
		return fmt.Errorf("%s: APIv3 key must be 32 bytes, got %d", *apiv3File, len(key))
	}

	sim := &wechatsim.Server{
		Merchants: []wechatsim.Merchant{{
			MchID: *mchID, Name: *name, SerialNo: *serial, PublicKey: mpub, APIv3Key: key,
		}},
		PlatformKey: platform, PlatformKeyID: *keyID, Speedup: *speedup, RefundDelay: *refundDelay, Log: log,
	}
	defer sim.Close()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	scheme := "http"
	if *tlsCert != "" {
		scheme = "https"
	}
	base := scheme + "://" + ln.Addr().String()
	sum := Summary{
		SandboxBaseURL: base, SpMchID: *mchID, MerchantSerial: *serial, PrivateKeyFile: merchantKeyFile,
		APIv3KeyFile: *apiv3File, PlatformPublicKeyFile: platformPub, PlatformPublicKeyID: *keyID,
		ConfirmPage: base + wechatsim.ConfirmPath + "?prepay_id=…&return=…", AdminPage: base + "/sim/",
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(sum); err != nil {
		return err
	}

	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() {
		if *tlsCert != "" {
			errc <- srv.ServeTLS(ln, *tlsCert, *tlsKey)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	log.Info("wechatsim: listening", "addr", ln.Addr().String(), "scheme", scheme)
	if ready != nil {
		ready <- sum
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}
