package server

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/qrstand/qrstand/cloud/internal/model"
	"github.com/qrstand/qrstand/cloud/internal/storage"
	"github.com/qrstand/qrstand/cloud/internal/ui"
	"github.com/qrstand/qrstand/mqtt"
)

// DemoStandID is the simulated stand dev mode registers.
const DemoStandID = "qrs-demo-0001"

func randomPassword() string {
	b := make([]byte, 10)
	rand.Read(b)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// seed creates the operator (when configured or in dev) and, in dev, a
// demo provider and a demo stand with a live pairing code, printing the
// logins once.
func (s *Server) seed(ctx context.Context) error {
	now := time.Now()
	user, pw := s.cfg.OperatorUser, s.cfg.OperatorPassword
	if user == "" && s.cfg.Dev {
		user = "operator"
	}
	if user != "" {
		if _, err := s.st.ConsoleUserByUsername(ctx, user); errors.Is(err, storage.ErrNotFound) {
			if pw == "" {
				pw = randomPassword()
			}
			hash, err := ui.HashPassword(pw)
			if err != nil {
				return err
			}
			if _, err := s.st.CreateConsoleUser(ctx, user, hash, model.ConsoleOperator, "", now); err != nil {
				return err
			}
			s.log.Info("seeded operator login", "username", user)
			fmt.Printf("\n  operator console login: %s/console/login  user %q  password %q\n", s.cfg.BaseURL, user, pw)
		}
	}
	if !s.cfg.Dev {
		return nil
	}
	if _, err := s.st.ConsoleUserByUsername(ctx, "demo"); errors.Is(err, storage.ErrNotFound) {
		p, err := s.st.CreateProvider(ctx, "演示服务商 Demo Provider", "1900000001", "wxsandbox", model.ProviderSecrets{}, now)
		if err != nil {
			return err
		}
		pw := randomPassword()
		hash, err := ui.HashPassword(pw)
		if err != nil {
			return err
		}
		if _, err := s.st.CreateConsoleUser(ctx, "demo", hash, model.ConsoleProvider, p.ID, now); err != nil {
			return err
		}
		fmt.Printf("  provider console login: %s/console/login  user %q  password %q\n", s.cfg.BaseURL, "demo", pw)
	}
	// A simulated stand, registered and showing a fresh pairing code, until
	// the stand simulator sends its own pair.request over MQTT.
	if _, err := s.st.Stand(ctx, DemoStandID); errors.Is(err, storage.ErrNotFound) {
		secret := mqtt.NewSecret()
		if _, err := s.st.RegisterStand(ctx, DemoStandID, secret, now); err != nil {
			return err
		}
		// The stand simulator reads its credentials from here.
		creds, _ := json.MarshalIndent(map[string]string{"id": DemoStandID, "secret": secret, "mqtt": s.cfg.MQTTAddr, "cloud": s.cfg.BaseURL}, "", "  ")
		path := filepath.Join(s.cfg.DataDir, "demo-stand.json")
		if err := os.WriteFile(path, append(creds, '\n'), 0o600); err != nil {
			return fmt.Errorf("server: write demo stand credentials: %w", err)
		}
		fmt.Printf("  demo stand credentials: %s\n", path)
	}
	if st, err := s.st.Stand(ctx, DemoStandID); err == nil && st.StoreID == "" {
		code := randomPassword()[:8]
		if err := s.st.SetPairCode(ctx, DemoStandID, code, now.Add(24*time.Hour)); err != nil {
			return err
		}
		fmt.Printf("  demo stand pairing URL (open as a manager): %s\n\n", ui.PairURL(s.cfg.BaseURL, DemoStandID, code))
	}
	return nil
}
